/**
 * The command line as a user meets it: help, version, and bad input that gets one clear line
 * and a non-zero exit code, never a stack trace.
 */
import { assertEquals, assertMatch } from "../../testing/std.ts";
import { ROOT, START_FLAGS } from "./_sensor_process.ts";

async function spip(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...START_FLAGS, `${ROOT}main.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

async function withConfig(text: string, body: (file: string) => Promise<void>): Promise<void> {
  const file = await Deno.makeTempFile({ prefix: "spip-config-", suffix: ".toml" });
  try {
    await Deno.writeTextFile(file, text);
    await body(file);
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("--help and --version print on stdout and exit 0", async () => {
  const help = await spip(["--help"]);
  assertEquals(help.code, 0);
  assertMatch(help.stdout, /Usage:/);
  assertMatch(help.stdout, /--config PATH/);
  const version = await spip(["--version"]);
  assertEquals(version.code, 0);
  assertMatch(version.stdout, /^spip \d+\.\d+\.\d+\n$/);
});

Deno.test("bad input: one line naming file and key, exit 2, no stack trace", async () => {
  const cases: [string, string | null, RegExp][] = [
    ["missing file", null, /^Cannot load config \/nonexistent\/spip\.toml: no such file$/],
    [
      "bad TOML",
      'ip = "::"\nport = = 5',
      /^Cannot load config .*\.toml: Parse error on line 2, column \d+: \S/,
    ],
    [
      "key set twice",
      'ip = "::"\nport = 5555\nport = 5556',
      /^Cannot load config .*\.toml: line 3: key "port" is set twice, on lines 2 and 3$/,
    ],
    [
      "wrong type",
      'ip = "::"\nport = "5555"',
      /key "port": expected an integer from 1 to 65535, found "5555" \(a string\)$/,
    ],
    [
      "port out of range",
      'ip = "::"\nport = 70000',
      /key "port": expected an integer from 1 to 65535, found 70000/,
    ],
    ["unknown key", 'ip = "::"\nport = 5555\nprot = 1', /key "prot": expected no such key/],
    ["missing port", 'ip = "::"', /key "port": .*required/],
    ["bad ip", 'ip = "localhost"\nport = 5555', /key "ip": expected an IPv4 or IPv6 address/],
  ];
  for (const [what, text, expected] of cases) {
    const run = async (file: string) => {
      const result = await spip(["--config", file]);
      assertEquals(result.code, 2, what);
      assertEquals(result.stdout, "", what);
      const lines = result.stderr.trimEnd().split("\n");
      assertEquals(lines.length, 1, `${what}: ${result.stderr}`);
      assertMatch(lines[0] ?? "", expected, what);
      assertEquals(/\n\s+at /.test(result.stderr), false, `${what}: no stack trace`);
    };
    if (text === null) await run("/nonexistent/spip.toml");
    else await withConfig(text, run);
  }
});

Deno.test("an unknown flag or a --config without a path is a usage error", async () => {
  for (const args of [["--bogus"], ["--config"]]) {
    const result = await spip(args);
    assertEquals(result.code, 2);
    assertEquals(result.stderr.trimEnd().split("\n").length, 1);
    assertMatch(result.stderr, /^Cannot parse arguments: /);
  }
});
