import { assert, assertEquals, assertStringIncludes } from "../testing/std.ts";
import { HELP, main, SWITCH_FLAGS, VALUE_FLAGS } from "./main.ts";

/** Where the bench is documented for users. */
const BENCH_DOCS = "../docs/performance.md";

Deno.test("bench: --rounds must be an integer from 1 to 20 (exit 2 before any namespace is made)", async () => {
  for (const bad of ["0", "21", "1.5", "x"]) {
    assertEquals(await main(["--rounds", bad]), 2, `--rounds ${bad}`);
  }
});

Deno.test("bench: an unknown flag, a stray argument or a missing value is one line and exit 2", async () => {
  const cases: [string[], string][] = [
    [["--quik"], "Cannot parse arguments: unknown flag --quik; see --help"],
    [["quick"], "Cannot parse arguments: unexpected argument quick; see --help"],
    [["--json"], "Cannot parse arguments: --json needs a value; see --help"],
  ];
  for (const [args, line] of cases) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./main.ts", import.meta.url).pathname, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 2, args.join(" "));
    assertEquals(new TextDecoder().decode(out.stderr), `${line}\n`);
    assertEquals(out.stdout.length, 0);
  }
});

Deno.test("bench: --help exits 0 and names every flag; the docs name every flag too", async () => {
  assertEquals(await main(["--help"]), 0);
  const docs = await Deno.readTextFile(new URL(BENCH_DOCS, import.meta.url));
  for (const flag of [...VALUE_FLAGS, ...SWITCH_FLAGS]) {
    assertStringIncludes(HELP, `--${flag}`);
    assertStringIncludes(docs, `--${flag}`, `${BENCH_DOCS} documents --${flag}`);
  }
  for (const line of HELP.split("\n")) assert(line.length <= 100, line);
});

Deno.test("bench: --compare needs a checkout with main.ts and the sensor target (exit 2 before any namespace is made)", async () => {
  const empty = await Deno.makeTempDir();
  try {
    assertEquals(await main(["--compare", empty, "--scenario", "1"]), 2);
    const root = new URL("../", import.meta.url).pathname;
    assertEquals(await main(["--compare", root, "--targets", "c-loop", "--scenario", "1"]), 2);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});
