/**
 * The sensor's counters, written to stderr as one JSON line at shutdown and every
 * `stats_interval` seconds when configured.
 *
 * @module
 */

/** Counters. Every record that is not written is counted in one of them. */
export class Stats {
  /** When the sensor started, epoch ms. */
  readonly startedAtMs: number = Date.now();
  /** TCP connections that reached JavaScript. */
  connectionsAccepted = 0;
  /**
   * Connections taken off a long accept queue ahead of their turn, and held by the sensor until
   * it handed them on (`accept = "accept4"`).
   */
  connectionsAcceptedAhead = 0;
  /** Connections open now. */
  connectionsOpen = 0;
  /** Records written to the output. */
  recordsWritten = 0;
  /** Records dropped because the output was too slow or failed. */
  recordsShed = 0;
  /** Payload bytes received. */
  bytesReceived = 0;
  /** Payload bytes written in records. */
  bytesLogged = 0;
  /** Payload bytes received past a session's byte cap: counted, not logged. */
  bytesOverCap = 0;
  /** Sessions that ended without sending a byte. */
  sessionsSilent = 0;
  /** Sessions that sent more than the byte cap. */
  sessionsTruncated = 0;
  /** Sessions closed for idling past the idle timeout. */
  sessionsIdleTimeout = 0;
  /** Sessions closed at the lifetime cap. */
  sessionsLifetimeCap = 0;
  /** Sessions closed to make room under `max_connections`. */
  sessionsEvicted = 0;
  /** Sessions the peer ended with a reset. */
  sessionsReset = 0;
  /** Failed accepts, by kind (`NotConnected`, `EMFILE`, ...). */
  readonly acceptErrors: Record<string, number> = {};
  /** Connections whose original destination could not be read (their local address was used). */
  originalDestinationFailures = 0;
  /** Connections whose fd could not be found (their local address was used). */
  fdNotFound = 0;
  /** Sessions whose SYN the kernel did not save (SYN cookies, an allocation failure) or that
   * could not be parsed: their first record has no `syn_*` fields. */
  synMissing = 0;
  /**
   * Connection attempts the kernel dropped at the listening socket (its accept queue was full);
   * null when not known. Set from the acceptor when the stats are printed.
   */
  listenDrops: number | null = null;
  /** Sessions accepted and read but not recorded: their source was over its budget. */
  sessionsOverBudget = 0;
  /** Sources forgotten to make room under `budget.max_sources` before their window ended. */
  budgetSourcesEvicted = 0;
  /** Sessions Spip greeted: spoke first after a silence, or answered an SSH version line. */
  greetingsSent = 0;
  /**
   * Greeted sessions whose replies could not all be sent (the client was gone, or would not
   * read).
   */
  greetingWriteFailures = 0;
  /** Failed writes to the output. */
  outputErrors = 0;
  /** UDP datagrams received (recorded or not). */
  udpDatagrams = 0;
  /** UDP payload bytes received, before any cut. */
  udpBytes = 0;
  /** UDP datagrams longer than `udp.max_datagram`: recorded cut, marked truncated. */
  udpTruncated = 0;
  /** UDP datagrams dropped unrecorded because they came faster than `udp.max_rate`. */
  udpRateShed = 0;
  /** UDP flows forgotten to make room under `udp.max_flows` (their next datagram starts anew). */
  udpFlowsEvicted = 0;
  /** UDP flows remembered now. */
  udpFlowsOpen = 0;
  /** UDP datagrams the kernel dropped because its receive buffer was full (`SO_RXQ_OVFL`). */
  udpKernelDropped = 0;
  /** UDP datagrams that came without their original destination (the bound address was used). */
  udpNoDestination = 0;

  /**
   * Counts a failed accept.
   *
   * @param kind The error's kind.
   */
  countAcceptError(kind: string): void {
    this.acceptErrors[kind] = (this.acceptErrors[kind] ?? 0) + 1;
  }

  /**
   * The counters as a JSON-ready object, with snake_case keys.
   *
   * @param now The current time, epoch ms.
   * @returns The snapshot.
   */
  snapshot(now: number = Date.now()): Record<string, unknown> {
    return {
      type: "stats",
      timestamp_ms: now,
      uptime_s: Math.round((now - this.startedAtMs) / 1000),
      connections_accepted: this.connectionsAccepted,
      connections_accepted_ahead: this.connectionsAcceptedAhead,
      connections_open: this.connectionsOpen,
      records_written: this.recordsWritten,
      records_shed: this.recordsShed,
      bytes_received: this.bytesReceived,
      bytes_logged: this.bytesLogged,
      bytes_over_cap: this.bytesOverCap,
      sessions_silent: this.sessionsSilent,
      sessions_truncated: this.sessionsTruncated,
      sessions_idle_timeout: this.sessionsIdleTimeout,
      sessions_lifetime_cap: this.sessionsLifetimeCap,
      sessions_evicted: this.sessionsEvicted,
      sessions_reset: this.sessionsReset,
      accept_errors: { ...this.acceptErrors },
      original_destination_failures: this.originalDestinationFailures,
      fd_not_found: this.fdNotFound,
      syn_missing: this.synMissing,
      listen_drops: this.listenDrops,
      sessions_over_budget: this.sessionsOverBudget,
      budget_sources_evicted: this.budgetSourcesEvicted,
      greetings_sent: this.greetingsSent,
      greeting_write_failures: this.greetingWriteFailures,
      output_errors: this.outputErrors,
      udp_datagrams: this.udpDatagrams,
      udp_bytes: this.udpBytes,
      udp_truncated: this.udpTruncated,
      udp_rate_shed: this.udpRateShed,
      udp_flows_evicted: this.udpFlowsEvicted,
      udp_flows_open: this.udpFlowsOpen,
      udp_kernel_dropped: this.udpKernelDropped,
      udp_no_destination: this.udpNoDestination,
      rss_bytes: Deno.memoryUsage().rss,
    };
  }
}
