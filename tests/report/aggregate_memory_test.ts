import { assertEquals, assertLess } from "../../testing/std.ts";

for (const mode of ["text", "bytes"]) {
  Deno.test(`ReportAggregate: keys cut from long payloads do not keep the payloads alive (${mode})`, async () => {
    const probe = new URL("./_retention_probe.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--v8-flags=--expose-gc", probe, mode],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const { keys, heapUsed } = JSON.parse(new TextDecoder().decode(out.stdout));
    assertEquals(keys, 150);
    // Kept as slices, the first-line and HASSH keys would hold 300 MiB of strings.
    assertLess(heapUsed, 64 * 1024 * 1024);
  });
}
