import { assertEquals, assertStringIncludes, assertThrows } from "../../testing/std.ts";
import { ExitCode, parseCommand, USAGE, VERSION } from "../../src/cli/cli.ts";

Deno.test("parseCommand() runs with no arguments", () => {
  assertEquals(parseCommand([]), { action: "run" });
});

Deno.test("parseCommand() reads --help and -h", () => {
  assertEquals(parseCommand(["--help"]), { action: "help" });
  assertEquals(parseCommand(["-h"]), { action: "help" });
  assertEquals(parseCommand(["--config", "x.toml", "--help"]), { action: "help" });
});

Deno.test("parseCommand() reads --version and -V", () => {
  assertEquals(parseCommand(["--version"]), { action: "version" });
  assertEquals(parseCommand(["-V"]), { action: "version" });
});

Deno.test("parseCommand() reads --config and -c in every spelling", () => {
  for (
    const args of [
      ["--config", "/etc/spip/config.toml"],
      ["--config=/etc/spip/config.toml"],
      ["-c", "/etc/spip/config.toml"],
      ["-c=/etc/spip/config.toml"],
    ]
  ) {
    assertEquals(
      parseCommand(args),
      { action: "run", config: "/etc/spip/config.toml" },
      args.join(" "),
    );
  }
});

Deno.test("parseCommand() rejects --config without a path", () => {
  for (const args of [["--config"], ["-c"], ["--config="], ["-c="]]) {
    const error = assertThrows(() => parseCommand(args), TypeError);
    assertEquals(error.message, "Cannot parse arguments: --config needs a path", args.join(" "));
  }
});

Deno.test("parseCommand() reads --output and -o, with --config or alone", () => {
  for (
    const args of [
      ["--output", "/var/log/spip/spip.jsonl"],
      ["--output=/var/log/spip/spip.jsonl"],
      ["-o", "/var/log/spip/spip.jsonl"],
    ]
  ) {
    assertEquals(
      parseCommand(args),
      { action: "run", output: "/var/log/spip/spip.jsonl" },
      args.join(" "),
    );
  }
  assertEquals(parseCommand(["-c", "a.toml", "--output", "b.jsonl"]), {
    action: "run",
    config: "a.toml",
    output: "b.jsonl",
  });
  assertStringIncludes(USAGE, "--output PATH");
});

Deno.test("parseCommand() rejects --output without a path", () => {
  for (const args of [["--output"], ["-o"], ["--output="]]) {
    const error = assertThrows(() => parseCommand(args), TypeError);
    assertEquals(error.message, "Cannot parse arguments: --output needs a path", args.join(" "));
  }
});

Deno.test("parseCommand() rejects unknown flags and stray arguments, naming the first", () => {
  const cases: [string[], string][] = [
    [["--verbose"], "--verbose"],
    [["-x"], "-x"],
    [["--port", "80"], "--port"],
    [["run"], "run"],
    [["--config", "a.toml", "extra"], "extra"],
  ];
  for (const [args, first] of cases) {
    const error = assertThrows(() => parseCommand(args), TypeError);
    assertEquals(
      error.message,
      `Cannot parse arguments: unknown argument ${first}; see --help`,
      args.join(" "),
    );
  }
});

Deno.test("VERSION matches deno.json, and USAGE documents the flags and exit codes", async () => {
  const manifest = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  ) as Record<string, unknown>;
  assertEquals(VERSION, manifest["version"]);
  for (const text of ["--config", "-c", "--help", "--version", `spip ${VERSION}`]) {
    assertStringIncludes(USAGE, text);
  }
  for (const code of Object.values(ExitCode)) assertStringIncludes(USAGE, `${code} `);
  assertEquals(new Set(Object.values(ExitCode)).size, Object.keys(ExitCode).length);
});

Deno.test("main.ts: `spip firewall --help` exits 0 with the help on stdout; --help names UDP", async () => {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  for (const args of [["firewall", "--help"], ["--help"]]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-env", main, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, args.join(" "));
    assertEquals(new TextDecoder().decode(out.stderr), "");
    const text = new TextDecoder().decode(out.stdout);
    assertStringIncludes(text, "UDP");
    assertEquals(text.includes("records every TCP connection as"), false);
  }
});
