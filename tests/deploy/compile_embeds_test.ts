import { denoTasks, ROOT } from "../../testing/start_task.ts";
import { assert, assertMatch } from "../../testing/std.ts";

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
  // The report's reading worker is loaded by URL at run time, so only --include embeds it. The
  // tree printed may show its folder as `report/*`, so the file is looked for in the binary's
  // file system (its index names each file: `{"File":{"n":"report_worker.ts",...`).
  const outputPath = /-o (\S+)/.exec(denoTasks()["compile:offline"] ?? "")?.[1];
  assert(outputPath !== undefined, "compile:offline names no output file");
  const binary = new TextDecoder().decode(await Deno.readFile(`${ROOT}${outputPath}`));
  assert(binary.includes('"n":"report_worker.ts"'), "the report worker is not embedded");
});

Deno.test("both compile tasks embed the report worker", () => {
  const tasks = denoTasks();
  for (const task of ["compile", "compile:offline"]) {
    const command = tasks[task] ?? "";
    assert(command.includes("--include src/report/report_worker.ts"), `${task}: ${command}`);
  }
});
