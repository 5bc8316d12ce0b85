/**
 * The command line as a user meets it: help, version, and bad input that gets one clear line
 * and a non-zero exit code, never a stack trace.
 */
import { assertEquals, assertGreater, assertMatch } from "../../testing/std.ts";
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

Deno.test("a configuration error's line reaches a stderr socket whose reader is slow (journald)", async () => {
  // stderr is a Unix socket whose send buffer the test fills first, so the sensor's line waits
  // on a blocking thread until the reader drains it 0.3 s later: the exit must wait for it.
  await withConfig('ip = "::"\nport = 80.0\n', async (file) => {
    const script = `
import os, socket, subprocess, sys, time
reader, writer = socket.socketpair()
writer.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
writer.setblocking(False)
filled = 0
try:
    while True:
        filled += writer.send(b"x" * 1024)
except BlockingIOError:
    pass
writer.setblocking(True)
child = subprocess.Popen(sys.argv[1:], stderr=writer.fileno(), stdout=subprocess.DEVNULL)
writer.close()
time.sleep(0.3)
data = b""
while True:
    chunk = reader.recv(65536)
    if not chunk:
        break
    data += chunk
code = child.wait()
sys.stdout.write("%d %d\\n%s" % (code, filled, data[filled:].decode()))
`;
    const out = await new Deno.Command("python3", {
      args: [
        "-c",
        script,
        Deno.execPath(),
        "run",
        ...START_FLAGS,
        `${ROOT}main.ts`,
        "--config",
        file,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const [status = "", ...rest] = text.split("\n");
    const [code, filled] = status.split(" ").map(Number);
    assertEquals(code, 2, new TextDecoder().decode(out.stderr));
    assertGreater(filled ?? 0, 0);
    assertMatch(rest.join("\n"), /^Cannot load config .*: key "port": /);
  });
});
