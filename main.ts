/**
 * The `spip` command: parses arguments, loads the configuration, runs the sensor, wires
 * signals, and chooses the exit code. The only file that calls `Deno.exit`.
 *
 * @module
 */
import { ExitCode, parseCommand, USAGE, VERSION } from "./src/cli/cli.ts";
import { loadConfig, resolveConfigPath } from "./src/config/config.ts";
import { flushDiagnostics, printDiagnostic } from "./src/output/diagnostics.ts";
import { reportDiagnostic } from "./src/output/events.ts";
// The sensor's modules (TLS, certificates, capture) are loaded only when the sensor runs, so the
// `report` and `firewall` commands do not hold them (about 15 MB of the report's peak RSS).
import type { Sensor } from "./src/sensor/sensor.ts";
import type { FileSink } from "./src/output/file_sink.ts";
import { FIREWALL_HELP, parseFirewallArgs, runFirewallCommand } from "./src/firewall/command.ts";
import { parseReportArgs, REPORT_USAGE, runReport } from "./src/report/command.ts";

/** How long the last stderr lines may take at exit, after the output's deadline, ms. */
const STDERR_EXIT_FLUSH_MS = 500;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function firewall(args: string[]): Promise<number> {
  let config;
  try {
    const command = parseFirewallArgs(args);
    if (command.action === "help") {
      Deno.stdout.writeSync(new TextEncoder().encode(`${FIREWALL_HELP}\n`));
      return ExitCode.Ok;
    }
    config = loadConfig(resolveConfigPath(command.config, Deno.execPath()));
  } catch (error) {
    printDiagnostic(message(error));
    return ExitCode.Usage;
  }
  return await runFirewallCommand(args, config);
}

async function report(args: string[]): Promise<number> {
  let command;
  try {
    command = parseReportArgs(args);
  } catch (error) {
    printDiagnostic(message(error));
    return ExitCode.Usage;
  }
  const encoder = new TextEncoder();
  const print = (text: string): void => {
    Deno.stdout.writeSync(encoder.encode(`${text}\n`));
  };
  if (command.help) {
    print(REPORT_USAGE);
    return ExitCode.Ok;
  }
  try {
    await runReport(command, print, printDiagnostic);
  } catch (error) {
    printDiagnostic(message(error));
    return ExitCode.Failure;
  }
  return ExitCode.Ok;
}

async function main(args: string[]): Promise<number> {
  if (args[0] === "firewall") return await firewall(args.slice(1));
  if (args[0] === "report") return await report(args.slice(1));
  let command;
  try {
    command = parseCommand(args);
  } catch (error) {
    printDiagnostic(message(error));
    return ExitCode.Usage;
  }
  if (command.action === "help" || command.action === "version") {
    const text = command.action === "help" ? USAGE : `spip ${VERSION}`;
    Deno.stdout.writeSync(new TextEncoder().encode(`${text}\n`));
    return ExitCode.Ok;
  }

  const { checkFirewallTools, checkOutputPath, checkReport, checkTlsFiles, startFields } =
    await import("./src/sensor/preflight.ts");
  const { Sensor, STOP_DEADLINE_MS } = await import("./src/sensor/sensor.ts");
  const { FileSink } = await import("./src/output/file_sink.ts");

  // Every configuration problem, certificate files and output path included, is exit 2 with
  // one line, before anything listens.
  let config;
  try {
    config = loadConfig(resolveConfigPath(command.config, Deno.execPath()));
    checkTlsFiles(config);
  } catch (error) {
    printDiagnostic(message(error));
    return ExitCode.Usage;
  }
  const outputPath = command.output ?? config.output;

  if (command.action === "check") {
    try {
      if (outputPath !== null) checkOutputPath(outputPath, config);
      const firewall = checkFirewallTools(config);
      const report = checkReport(config, outputPath, firewall);
      Deno.stdout.writeSync(new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`));
    } catch (error) {
      printDiagnostic(message(error));
      return ExitCode.Usage;
    }
    return ExitCode.Ok;
  }

  // An output file that cannot be opened at start-up is a configuration error (exit 2), so a
  // typo in the path is seen at once; once running, a failing file is survived and retried.
  let sink: FileSink | undefined;
  if (outputPath !== null) {
    try {
      sink = FileSink.open(outputPath);
    } catch (error) {
      printDiagnostic(message(error));
      return ExitCode.Usage;
    }
  }

  let sensor: Sensor;
  try {
    sensor = Sensor.start(config, sink === undefined ? {} : { sink });
  } catch (error) {
    sink?.close();
    if (error instanceof Deno.errors.AddrInUse) {
      printDiagnostic(`Cannot listen on ${config.ip} port ${config.port}: port in use`);
      return ExitCode.PortInUse;
    }
    printDiagnostic(`Cannot listen on ${config.ip} port ${config.port}: ${message(error)}`);
    return ExitCode.Failure;
  }

  // From here on every stderr line is one JSON object (schema/stderr.schema.json).
  const events = sensor.events;
  // Records on stdout say how stdout is written; an output file is appended to.
  const outputMode = sensor.outputMode === "sink" ? "file" : sensor.outputMode;
  events.start(startFields(config, { version: VERSION, output: outputPath, outputMode }));

  // A bug in one session must not take the sensor down: report it and go on.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    reportDiagnostic(`Cannot handle a rejected promise: ${message(event.reason)}`);
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    reportDiagnostic(`Cannot handle an error: ${message(event.error)}`);
  });

  // SIGHUP: open the output file again by path (after logrotate renamed it), between two
  // writes. With records on stdout there is nothing to reopen; the signal is only reported.
  Deno.addSignalListener("SIGHUP", () => {
    if (sink === undefined) {
      reportDiagnostic("SIGHUP: records go to stdout, nothing to reopen");
    } else {
      events.diagnostic(`SIGHUP: reopening ${outputPath}`);
      sink.reopen();
    }
  });

  const stopped = Promise.withResolvers<Deno.Signal>();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => stopped.resolve(signal));
  }
  const signal = await stopped.promise;
  const flushed = await sensor.stop(STOP_DEADLINE_MS);
  sink?.close();
  sensor.printStats();
  if (!flushed) {
    const deadline = `before the shutdown deadline (${STOP_DEADLINE_MS / 1000} s)`;
    if (sensor.sessionsUnfinished > 0) {
      reportDiagnostic(`Cannot finish ${sensor.sessionsUnfinished} sessions ${deadline}`);
    }
    if (sensor.recordsUnwritten > 0 || sensor.sessionsUnfinished === 0) {
      reportDiagnostic(
        `Cannot write ${sensor.recordsUnwritten} records ${deadline}: ` +
          `the output's reader stalled; counted in records_shed`,
      );
    }
  }
  const code = flushed ? ExitCode.Ok : ExitCode.Failure;
  events.stop({ signal, flushed, exit_code: code });
  return code;
}

if (import.meta.main) {
  const code = await main(Deno.args);
  // Every path's last stderr lines go out before the exit, a configuration error's included: on
  // a socket (journald's) they are written on a thread, which Deno.exit would cut short. A
  // stalled stderr gets a short, bounded chance.
  await flushDiagnostics(STDERR_EXIT_FLUSH_MS);
  Deno.exit(code);
}
