import { assert, assertMatch } from "../../testing/std.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** npm packages only tests use: the compiled binary must not carry them. */
const TEST_ONLY_PACKAGES = ["ajv", "read-tls-client-hello", "@types/node", "undici-types"];
/** npm packages the sensor's own graph imports: the compiled binary must carry them. */
const SENSOR_PACKAGES = ["deno-std", "@peculiar", "reflect-metadata"];

Deno.test("compile:offline embeds the sensor's npm packages and no test-only package", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "compile:offline"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert(output.success, `compile:offline failed:\n${text}`);
  assertMatch(text, /^Files: [\d.]+[KM]B$/m);
  const tree = text.split("\n").filter((line) => /[\u2502\u251c\u2514]/.test(line)).join("\n");
  for (const name of SENSOR_PACKAGES) {
    assert(tree.includes(` ${name}`), `${name} is missing from the embedded files:\n${tree}`);
  }
  for (const name of TEST_ONLY_PACKAGES) {
    assert(!tree.includes(` ${name}/`), `${name} is embedded:\n${tree}`);
  }
  // The report's reading worker is loaded by URL at run time, so only --include embeds it.
  assert(/ report_worker\.ts \(/.test(tree), `the report worker is not embedded:\n${tree}`);
});

Deno.test("both compile tasks embed the report worker", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  for (const task of ["compile", "compile:offline"]) {
    const command = String(config.tasks[task]);
    assert(command.includes("--include src/report/report_worker.ts"), `${task}: ${command}`);
  }
});
