/**
 * Spip: an internet sensor that records every TCP connection as Spip-compatible JSON lines.
 *
 * Run it with `main.ts`; embed it with {@linkcode Sensor}.
 *
 * @example
 * ```ts ignore
 * import { loadConfig, Sensor } from "./mod.ts";
 * const sensor = Sensor.start(loadConfig("config.toml"));
 * ```
 *
 * @module
 */
export {
  type Config,
  configFromTable,
  loadConfig,
  parseConfig,
  resolveConfigPath,
} from "./src/config/config.ts";
export { Sensor, type SensorOptions } from "./src/sensor/sensor.ts";
export { Stats } from "./src/output/stats.ts";
export { type ByteSink, RecordWriter } from "./src/output/record_writer.ts";
export {
  createFlow,
  encodeRecord,
  type Endpoint,
  type Flow,
  type RecordMarks,
  type Transport,
} from "./src/record/record.ts";
export { communityId } from "./src/record/community_id.ts";
export {
  type AcceptedConnection,
  type ConnectionHandler,
  TcpAcceptor,
} from "./src/capture/tcp_acceptor.ts";
export { FileSink, REOPEN_RETRY_MS } from "./src/output/file_sink.ts";
export { type BudgetSummary, SourceBudget } from "./src/session/source_budget.ts";
export type { BudgetConfig } from "./src/config/budget.ts";
