/**
 * deploy/spip.service under a real systemd as PID 1: a Debian 12 container (debootstrap, cached
 * in /var/tmp) booted with systemd-nspawn, with the unit, the sysusers file and a config from
 * this repository. A driver unit inside (nspawn/driver.sh) starts the service, checks the start
 * line in the journal, a record, the log directory's group, a SIGHUP reload after a rename, a
 * clean stop, and that a missing certificate (exit 2) is not restarted.
 *
 * The compiled binary cannot be built here (deno compile fetches denort), so /opt/spip/spip is a
 * shell script that runs main.ts with the start task's flags, as the deployment steps test does.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../testing/std.ts";
import { ROOT, startTask } from "../../testing/start_task.ts";
import { checkStderrLine } from "../_stderr_schema.ts";

/** The container's root, built once and reused (a debootstrap takes minutes). */
const ROOTFS = "/var/tmp/spip-nspawn-bookworm";
/** Packages the container needs beyond minbase. */
const PACKAGES = "systemd,systemd-sysv,iptables,iproute2";
const MIRROR = "http://deb.debian.org/debian";
/** Bounds: building the root, and one boot of the container. */
const DEBOOTSTRAP_TIMEOUT_MS = 20 * 60_000;
const BOOT_TIMEOUT_MS = 4 * 60_000;
const decoder = new TextDecoder();

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Runs a command with a deadline; kills it (by its own pid) when the deadline passes. */
async function run(
  program: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

/** The Debian root, from the cache or from debootstrap. */
async function rootfs(): Promise<string> {
  if (await exists(`${ROOTFS}/usr/lib/systemd/systemd`)) return ROOTFS;
  const partial = `${ROOTFS}.partial-${Deno.pid}`;
  const result = await run("debootstrap", [
    "--variant=minbase",
    `--include=${PACKAGES}`,
    "bookworm",
    partial,
    MIRROR,
  ], DEBOOTSTRAP_TIMEOUT_MS);
  if (result.code !== 0) {
    await Deno.remove(partial, { recursive: true }).catch(() => {});
    throw new Error(`Cannot debootstrap a Debian root: ${result.output.slice(-2000)}`);
  }
  await Deno.rename(partial, ROOTFS);
  return ROOTFS;
}

Deno.test("deploy/spip.service under systemd (nspawn): start line, reload, clean stop, exit 2 not restarted", async () => {
  const root = await rootfs();
  const work = await Deno.makeTempDir({ prefix: "spip-nspawn-" });
  try {
    await Deno.chmod(work, 0o755);
    for (const dir of ["opt-spip", "etc-spip", "results", "driver"]) {
      await Deno.mkdir(`${work}/${dir}`);
      await Deno.chmod(`${work}/${dir}`, 0o755);
    }
    const flags = startTask().filter((word) => word.startsWith("--"));
    await Deno.writeTextFile(
      `${work}/opt-spip/spip`,
      "#!/bin/sh\n# Stands in for the compiled binary: main.ts with the start task's flags.\n" +
        "export DENO_DIR=/opt/spip/deno-cache\n" +
        `exec /opt/spip/deno run --cached-only ${flags.join(" ")} /src/main.ts "$@"\n`,
      { mode: 0o755 },
    );
    await Deno.writeTextFile(
      `${work}/etc-spip/config.toml`,
      'ip = "::"\nport = 5555\nname = "Nspawn-1"\nstats_interval = 1\n',
      { mode: 0o644 },
    );
    await Deno.copyFile(`${ROOT}tests/integration/nspawn/driver.sh`, `${work}/driver/driver.sh`);
    await Deno.chmod(`${work}/driver/driver.sh`, 0o755);
    const denoDir = `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
    const machine = `spip-nspawn-${Deno.pid}`;
    const boot = await run("systemd-nspawn", [
      "--quiet",
      "--register=no",
      "--keep-unit",
      "--private-network",
      "--volatile=overlay",
      `--machine=${machine}`,
      `--directory=${root}`,
      `--bind-ro=${ROOT}:/src`,
      `--bind-ro=${Deno.execPath()}:/opt/spip/deno`,
      `--bind-ro=${work}/opt-spip/spip:/opt/spip/spip`,
      `--bind-ro=${denoDir}:/opt/spip/deno-cache`,
      `--bind=${work}/etc-spip:/etc/spip`,
      `--bind=${work}/results:/results`,
      `--bind-ro=${work}/driver:/opt/spip-test`,
      `--bind-ro=${ROOT}deploy/spip.service:/etc/systemd/system/spip.service`,
      `--bind-ro=${ROOT}tests/integration/nspawn/spip-test.service:/etc/systemd/system/spip-test.service`,
      `--bind-ro=${ROOT}deploy/spip.sysusers.conf:/etc/sysusers.d/spip.conf`,
      "--boot",
      "--",
      "systemd.unit=spip-test.service",
    ], BOOT_TIMEOUT_MS);
    const results = `${work}/results`;
    const read = (name: string): Promise<string> =>
      Deno.readTextFile(`${results}/${name}`).catch(() => "");
    const failed = await read("failed");
    const context = `nspawn exit ${boot.code}; steps: ${await read("steps")}; failed: ${failed}` +
      `\njournal:\n${(await read("journal")).slice(-3000)}\nnspawn:\n${boot.output.slice(-2000)}`;
    assertEquals(failed, "", context);
    assert(await exists(`${results}/done`), context);

    // The journal holds the start line, stats, the reload notice and the stop line, all JSON.
    const journal = (await read("journal-run")).split("\n");
    const events = journal.filter((line) => line.startsWith("{")).map(checkStderrLine);
    const start = events.find((event) => event["type"] === "start") ?? {};
    assertEquals(start["sensor_name"], "Nspawn-1");
    assertEquals(start["port"], 5555);
    assertEquals(start["config"], "/etc/spip/config.toml");
    assertEquals(start["output"], "/var/log/spip/spip.jsonl");
    assert(events.some((event) => event["type"] === "stats"));
    assert(events.some((event) => String(event["message"]).startsWith("SIGHUP: reopening")));
    assertEquals(events.at(-1)?.["type"], "stop", journal.join("\n"));
    assertEquals(events.at(-1)?.["exit_code"], 0);
    // Nothing else on the sensor's stderr: no Deno "Info" lines, no stack traces. (systemd's own
    // lines about the unit and the firewall commands' lines are the rest.)
    const systemd =
      /^((Starting|Started|Reloading|Reloaded|Stopping|Stopped) spip\.service|spip\.service: )/;
    const plain = journal.filter((line) => line !== "" && !line.startsWith("{"));
    assertEquals(
      plain.filter((line) =>
        !systemd.test(line) && !/^spip firewall: (applied|removed)/.test(line)
      ),
      [],
    );

    // The records directory and file: spip:spip, 0750 and 0640; a member of the group reads.
    assertEquals(
      (await read("perms")).trim().split("\n"),
      ["spip:spip 750", "spip:spip 640"],
    );
    assertEquals((await read("shipper-rc")).trim(), "0");
    assert((await read("nobody-rc")).trim() !== "0");

    // The reload reopened the file without restarting the process.
    assertEquals(await read("pid-before"), await read("pid-after"));
    assertStringIncludes(await read("spip.jsonl.1"), "first-connection");
    assertStringIncludes(await read("spip.jsonl"), "second-connection");
    assertEquals((await read("spip.jsonl")).includes("first-connection"), false);

    // The firewall was applied while running and removed after the stop.
    assertStringIncludes(await read("iptables-running"), "SPIP");
    assertEquals((await read("iptables-after-stop")).includes("SPIP"), false);
    // A clean stop.
    const stopped = await read("stopped");
    assertMatch(stopped, /^Result=success$/m);
    assertMatch(stopped, /^ExecMainStatus=0$/m);
    assertMatch(stopped, /^ActiveState=inactive$/m);

    // Exit code 2 (a missing certificate) is final: no restart.
    const bad = await read("bad-certificate");
    assertMatch(bad, /^ExecMainStatus=2$/m);
    assertMatch(bad, /^NRestarts=0$/m);
    assertMatch(bad, /^ActiveState=failed$/m);
    assertMatch(
      await read("bad-certificate-line"),
      /^Cannot load config \/etc\/spip\/config.toml: key "tls.cert": Cannot load TLS certificate/,
    );

    // A bad configuration that ExecStartPre (firewall apply) refuses first is restarted by
    // systemd (RestartPreventExitStatus= covers only the main process) until the start limit:
    // 3 starts in a minute, then failed for good (systemd 252 counts the refused 4th start in
    // NRestarts and keeps Result=exit-code).
    const badToml = await read("bad-toml");
    assertMatch(badToml, /^NRestarts=3$/m, badToml);
    assertMatch(badToml, /^Result=exit-code$/m);
    assertMatch(badToml, /^ActiveState=failed$/m);
    assertMatch(
      await read("bad-toml-line"),
      /^Cannot load config \/etc\/spip\/config.toml: key "port": expected an integer .* found 80\.0 \(a float\)\n$/,
    );
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
