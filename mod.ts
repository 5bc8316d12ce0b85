/**
 * Spip: an internet sensor that records every TCP connection (and, in tproxy mode, every UDP
 * datagram) as Spip-compatible JSON lines.
 *
 * Run it with `main.ts`; embed it with {@linkcode Sensor}, configured by {@linkcode loadConfig};
 * parse its lines as {@linkcode SpipRecord}.
 *
 * @example
 * ```ts ignore
 * import { loadConfig, Sensor } from "./mod.ts";
 * const sensor = Sensor.start(loadConfig("config.toml"));
 * // ...
 * await sensor.stop();
 * ```
 *
 * @module
 */
export { type Config, loadConfig, parseConfig, resolveConfigPath } from "./src/config/config.ts";
export type { Mode } from "./src/config/mode.ts";
export type { AcceptEngine } from "./src/config/accept.ts";
export type { UdpConfig } from "./src/config/udp.ts";
export type { TlsConfig } from "./src/config/tls.ts";
export type { BudgetConfig } from "./src/config/budget.ts";
export { GREET_PROTOCOLS, type GreetConfig, type GreetProtocol } from "./src/config/greet.ts";
export { Sensor, type SensorOptions } from "./src/sensor/sensor.ts";
export { Stats } from "./src/output/stats.ts";
export { EventLog, type EventType } from "./src/output/events.ts";
export type { ByteSink } from "./src/output/byte_sink.ts";
export { FileSink } from "./src/output/file_sink.ts";
export { SPIP_RECORD_FIELDS, type SpipRecord } from "./src/record/spip_record.ts";
export { VERSION } from "./src/cli/version.ts";
