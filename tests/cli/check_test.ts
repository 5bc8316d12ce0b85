/**
 * `spip check` and the exit codes of configuration problems, through main.ts as a user runs it.
 * Nothing here listens: every case ends before the sensor would bind its port.
 */
import { assertEquals, assertMatch, stringifyToml } from "../../testing/std.ts";
import { startArgv } from "../../testing/start_task.ts";
import { loadConfig } from "../../src/config/config.ts";
import { nonDefaultToml } from "../config/_non_default_config.ts";

const decoder = new TextDecoder();

async function spip(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const [program = "deno", ...argv] = startArgv(args);
  const result = await new Deno.Command(program, {
    args: argv,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: result.code,
    out: decoder.decode(result.stdout),
    err: decoder.decode(result.stderr),
  };
}

async function withConfig(
  toml: string,
  body: (file: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "spip-check-" });
  try {
    await Deno.writeTextFile(`${dir}/config.toml`, toml);
    await body(`${dir}/config.toml`, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("spip check prints the resolved configuration as JSON and exits 0", async () => {
  await withConfig('ip = "::"\nport = 5555\nname = "n"\n', async (file, dir) => {
    const result = await spip("check", "--config", file, "--output", `${dir}/spip.jsonl`);
    assertEquals(result.code, 0, result.err);
    assertEquals(result.err, "");
    const report = JSON.parse(result.out);
    assertEquals(Object.keys(report), [
      "config",
      "settings",
      "output",
      "firewall",
      "largest_line_bytes",
    ]);
    assertEquals(report.config, file);
    // The settings in config.toml's keys and units, defaults filled in.
    assertEquals(report.settings.port, 5555);
    assertEquals(report.settings.stats_interval, 60);
    assertEquals(report.settings.idle_timeout, 10);
    assertEquals(report.settings.tls, { enabled: true, handshake_timeout: 10, cert_cache: 1000 });
    assertEquals(report.settings.greet.after, 1.5);
    assertEquals(report.settings.greet.ports["2222"], "ssh");
    assertEquals(report.settings.output, undefined, "the file sets none");
    assertEquals(report.output, `${dir}/spip.jsonl`);
    assertEquals(report.largest_line_bytes, 8 * 4096 + 6 * 65536 + 4096 + 1);
    assertMatch(String(report.firewall.iptables), /\/iptables$/);
    // check writes nothing: the output file does not exist afterwards.
    assertEquals(await Deno.stat(`${dir}/spip.jsonl`).then(() => true, () => false), false);
  });
});

Deno.test("a missing TLS certificate is exit 2 'Cannot load config', for check and for start", async () => {
  await withConfig("", async (file, dir) => {
    await Deno.writeTextFile(
      file,
      `ip = "::"\nport = 5555\nname = "n"\n[tls]\ncert = "${dir}/none.pem"\nkey = "${dir}/k.pem"\n`,
    );
    for (const args of [["check", "--config", file], ["--config", file]]) {
      const result = await spip(...args);
      assertEquals(result.code, 2, args.join(" "));
      assertEquals(result.out, "");
      const lines = result.err.trimEnd().split("\n");
      assertEquals(lines.length, 1);
      assertMatch(
        lines[0] ?? "",
        new RegExp(
          `^Cannot load config ${file}: key "tls.cert": Cannot load TLS certificate ${dir}/none.pem: `,
        ),
      );
    }
  });
});

Deno.test("a key file without a PEM key is exit 2 naming tls.key", async () => {
  await withConfig("", async (file, dir) => {
    const made = await new Deno.Command("openssl", {
      args: [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
        ...["-keyout", `${dir}/key.pem`, "-out", `${dir}/cert.pem`, "-subj", "/CN=x", "-days", "1"],
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    assertEquals(made.code, 0);
    await Deno.writeTextFile(`${dir}/bad-key.pem`, "not a key\n");
    await Deno.writeTextFile(
      file,
      `ip = "::"\nport = 5555\nname = "n"\n[tls]\ncert = "${dir}/cert.pem"\nkey = "${dir}/bad-key.pem"\n`,
    );
    const result = await spip("check", "--config", file);
    assertEquals(result.code, 2);
    assertMatch(
      result.err,
      /^Cannot load config .*: key "tls.key": Cannot load TLS certificate .*bad-key.pem: no PEM private key in it\n$/,
    );
    // The good pair passes.
    await Deno.writeTextFile(
      file,
      `ip = "::"\nport = 5555\nname = "n"\n[tls]\ncert = "${dir}/cert.pem"\nkey = "${dir}/key.pem"\n`,
    );
    const good = await spip("check", "--config", file);
    assertEquals(good.code, 0, good.err);
    assertEquals(JSON.parse(good.out).settings.tls.cert, `${dir}/cert.pem`);
  });
});

Deno.test("spip check: an output path that cannot be written, or bad TOML, is exit 2 and one line", async () => {
  await withConfig('ip = "::"\nport = 5555\nname = "n"\n', async (file, dir) => {
    const result = await spip("check", "--config", file, "--output", `${dir}/no/such/dir.jsonl`);
    assertEquals(result.code, 2);
    assertMatch(result.err, /^Cannot load config .*: output .*no\/such\/dir\.jsonl: .*\n$/);
    await Deno.writeTextFile(file, 'ip = "::"\nport = 80.0\n');
    const float = await spip("check", "--config", file);
    assertEquals(float.code, 2);
    assertEquals(
      float.err,
      `Cannot load config ${file}: key "port": expected an integer from 1 to 65535, ` +
        "found 80.0 (a float)\n",
    );
    await Deno.writeTextFile(file, 'ip = "::"\nport = 1\n[tls]\nenabled = true\n[tls]\n');
    const twice = await spip("check", "--config", file);
    assertEquals(twice.code, 2);
    assertEquals(
      twice.err,
      `Cannot load config ${file}: line 5: table [tls] is defined twice, on lines 3 and 5\n`,
    );
    const missing = await spip("check", "--config", `${dir}/missing.toml`);
    assertEquals(missing.code, 2);
    assertEquals(missing.err, `Cannot load config ${dir}/missing.toml: no such file\n`);
  });
});

Deno.test("spip check round trip: its settings, written as TOML, load as the same configuration", async () => {
  await withConfig("", async (file, dir) => {
    const shipped = new URL("../../config.toml", import.meta.url).pathname;
    await Deno.writeTextFile(
      file,
      nonDefaultToml({
        cert: `${dir}/cert.pem`,
        key: `${dir}/key.pem`,
        output: `${dir}/records.jsonl`,
      }),
    );
    for (const original of [shipped, file]) {
      const result = await spip("check", "--config", original);
      assertEquals(result.code, 0, result.err);
      const report = JSON.parse(result.out);
      assertEquals(report.config, original);
      const again = `${dir}/again.toml`;
      await Deno.writeTextFile(again, stringifyToml(report.settings));
      assertEquals({ ...loadConfig(again), file: original }, loadConfig(original), original);
      // Checking the written-back file prints the same settings.
      const second = await spip("check", "--config", again);
      assertEquals(second.code, 0, second.err);
      assertEquals(JSON.parse(second.out).settings, report.settings);
    }
  });
});
