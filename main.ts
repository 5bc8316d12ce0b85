/**
 * The `spip` command: parses arguments, loads the configuration, runs the sensor, wires
 * signals, and chooses the exit code. The only file that calls `Deno.exit`.
 *
 * @module
 */
import { ExitCode, parseCommand, USAGE, VERSION } from "./src/cli/cli.ts";
import { loadConfig, resolveConfigPath } from "./src/config/config.ts";
import { printDiagnostic } from "./src/output/diagnostics.ts";
import { Sensor } from "./src/sensor/sensor.ts";
import { FileSink } from "./src/output/file_sink.ts";
import { FIREWALL_HELP, parseFirewallArgs, runFirewallCommand } from "./src/firewall/command.ts";

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

async function main(args: string[]): Promise<number> {
  if (args[0] === "firewall") return await firewall(args.slice(1));
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

  let config;
  try {
    config = loadConfig(resolveConfigPath(command.config, Deno.execPath()));
  } catch (error) {
    printDiagnostic(message(error));
    return ExitCode.Usage;
  }

  // An output file that cannot be opened at start-up is a configuration error (exit 2), so a
  // typo in the path is seen at once; once running, a failing file is survived and retried.
  const outputPath = command.output ?? config.output;
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

  // A bug in one session must not take the sensor down: report it and go on.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    printDiagnostic(`Cannot handle a rejected promise: ${message(event.reason)}`);
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    printDiagnostic(`Cannot handle an error: ${message(event.error)}`);
  });

  // SIGHUP: open the output file again by path (after logrotate renamed it), between two
  // writes. With records on stdout there is nothing to reopen; the signal is only reported.
  Deno.addSignalListener("SIGHUP", () => {
    if (sink === undefined) printDiagnostic("SIGHUP: records go to stdout, nothing to reopen");
    else sink.reopen();
  });

  const stopped = Promise.withResolvers<void>();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => stopped.resolve());
  }
  await stopped.promise;
  const flushed = await sensor.stop();
  sink?.close();
  sensor.printStats();
  if (!flushed) printDiagnostic("Cannot flush every record before the shutdown deadline");
  return flushed ? ExitCode.Ok : ExitCode.Failure;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
