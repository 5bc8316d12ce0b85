import { assertEquals } from "../testing/std.ts";
import { main } from "./main.ts";

Deno.test("bench: --rounds must be an integer from 1 to 20 (exit 2 before any namespace is made)", async () => {
  for (const bad of ["0", "21", "1.5", "x"]) {
    assertEquals(await main(["--rounds", bad]), 2, `--rounds ${bad}`);
  }
});
