/**
 * Reads a process's CPU time and resident memory from `/proc`, and samples its RSS peak.
 *
 * @module
 */

/** Clock ticks per second of `/proc/PID/stat` times (`getconf CLK_TCK`; 100 on Linux). */
export const CLOCK_TICKS = 100;

/**
 * The CPU time a process has used, user plus system, in microseconds (from `/proc/PID/stat`,
 * so in steps of 10 ms). It covers all the process's threads.
 *
 * @param pid The process, or `"self"`.
 * @returns The CPU time, or NaN when the process is gone.
 */
export function cpuMicros(pid: number | "self"): number {
  try {
    const { user, system } = statTimes(Deno.readTextFileSync(`/proc/${pid}/stat`));
    return user + system;
  } catch {
    return NaN;
  }
}

/** The user and system time of a `stat` file of proc(5) (a process's or a thread's), us. */
function statTimes(stat: string): { user: number; system: number } {
  // Fields 14 and 15 of proc(5) (utime, stime), counted after "pid (comm) ".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const tick = 1_000_000 / CLOCK_TICKS;
  return { user: Number(fields[11]) * tick, system: Number(fields[12]) * tick };
}

/** A process's CPU time split by thread, in microseconds. */
export interface ThreadCpu {
  /** The main thread's user time (for Deno: JavaScript, V8's runtime and the ops). */
  mainUser: number;
  /** The main thread's system time (the syscalls it makes, and the kernel work they cause). */
  mainSystem: number;
  /** Every other thread, user plus system (for Deno: V8's compiler and GC threads, tokio). */
  others: number;
}

/**
 * A process's CPU time split into its main thread's user and system time and the other
 * threads' (from `/proc/PID/task/TID/stat`, in steps of 10 ms). Threads that ended meanwhile
 * are not counted.
 *
 * @param pid The process.
 * @returns The split, or null when the process is gone.
 */
export function threadCpuMicros(pid: number): ThreadCpu | null {
  const out: ThreadCpu = { mainUser: 0, mainSystem: 0, others: 0 };
  try {
    for (const entry of Deno.readDirSync(`/proc/${pid}/task`)) {
      let stat: string;
      try {
        stat = Deno.readTextFileSync(`/proc/${pid}/task/${entry.name}/stat`);
      } catch {
        continue; // The thread ended meanwhile.
      }
      const { user, system } = statTimes(stat);
      if (entry.name === String(pid)) {
        out.mainUser += user;
        out.mainSystem += system;
      } else out.others += user + system;
    }
  } catch {
    return null;
  }
  return out;
}

/**
 * The resident set size of a process, `VmRSS` in `/proc/PID/status`.
 *
 * @param pid The process.
 * @returns KiB, or NaN when the process is gone.
 */
export function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return match === null ? NaN : Number(match[1]);
  } catch {
    return NaN;
  }
}

/**
 * The open fds of a process.
 *
 * @param pid The process.
 * @returns The count, or 0 when the process is gone.
 */
export function openFds(pid: number): number {
  let n = 0;
  try {
    for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) n++;
  } catch {
    return 0;
  }
  return n;
}

/**
 * The executable a process runs (`/proc/PID/exe`).
 *
 * @param pid The process.
 * @returns The path, or an empty string when it cannot be read.
 */
export function executable(pid: number): string {
  try {
    return Deno.readLinkSync(`/proc/${pid}/exe`);
  } catch {
    return "";
  }
}

/**
 * Whether a process has a TCP socket listening on a port, read from `/proc/PID/net/tcp` and
 * `tcp6`, which show the process's own network namespace. Probing this way sends no traffic.
 *
 * @param pid The process.
 * @param port The port.
 * @returns True once something in the process's namespace listens on the port.
 */
export function isListening(pid: number, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const file of ["tcp", "tcp6"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(`/proc/${pid}/net/${file}`);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === "0A") return true;
    }
  }
  return false;
}

/** Samples a process's RSS on a timer and keeps the peak. */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: ReturnType<typeof setInterval>;
  #peak = 0;

  /**
   * Starts sampling.
   *
   * @param pid The process.
   * @param everyMs The sampling period.
   */
  constructor(pid: number, everyMs = 20) {
    this.#pid = pid;
    this.sample();
    this.#timer = setInterval(() => this.sample(), everyMs);
  }

  /**
   * Takes one sample now.
   *
   * @returns The RSS in KiB (NaN when the process is gone).
   */
  sample(): number {
    const rss = rssKiB(this.#pid);
    if (rss > this.#peak) this.#peak = rss;
    return rss;
  }

  /** The highest RSS seen, in KiB. */
  get peak(): number {
    return this.#peak;
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * Whether a process's network namespace has a UDP socket bound to a port, read from
 * `/proc/PID/net/udp` and `udp6`.
 *
 * @param pid The process.
 * @param port The port.
 * @returns True once something in the process's namespace is bound to the port.
 */
export function isUdpBound(pid: number, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const file of ["udp", "udp6"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(`/proc/${pid}/net/${file}`);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      if (line.trim().split(/\s+/)[1]?.endsWith(`:${hexPort}`)) return true;
    }
  }
  return false;
}

/** The kernel's UDP error counters of one network namespace, IPv4 and IPv6 added up. */
export interface UdpKernelCounters {
  /** `Udp: RcvbufErrors` + `Udp6RcvbufErrors`: datagrams dropped on a full receive buffer. */
  rcvbufErrors: number;
  /** `Udp: InErrors` + `Udp6InErrors`: datagrams dropped on receipt, all causes. */
  inErrors: number;
  /** `Udp: InDatagrams` + `Udp6InDatagrams`: datagrams delivered to sockets. */
  inDatagrams: number;
}

function snmpField(text: string, prefix: string, name: string): number {
  const lines = text.split("\n").filter((line) => line.startsWith(`${prefix}:`));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const at = names.indexOf(name);
  return at === -1 ? NaN : Number(values[at]);
}

function snmp6Field(text: string, name: string): number {
  const match = new RegExp(`^${name}\\s+(\\d+)`, "m").exec(text);
  return match === null ? NaN : Number(match[1]);
}

/**
 * Reads the UDP counters of a process's network namespace from `/proc/PID/net/snmp` and
 * `snmp6` (the process's namespace, whatever the reader's).
 *
 * @param pid A process in the namespace.
 * @returns The counters; NaN where they cannot be read.
 */
export function udpKernelCounters(pid: number): UdpKernelCounters {
  let v4 = "";
  let v6 = "";
  try {
    v4 = Deno.readTextFileSync(`/proc/${pid}/net/snmp`);
    v6 = Deno.readTextFileSync(`/proc/${pid}/net/snmp6`);
  } catch { /* NaN below */ }
  return {
    rcvbufErrors: snmpField(v4, "Udp", "RcvbufErrors") + snmp6Field(v6, "Udp6RcvbufErrors"),
    inErrors: snmpField(v4, "Udp", "InErrors") + snmp6Field(v6, "Udp6InErrors"),
    inDatagrams: snmpField(v4, "Udp", "InDatagrams") + snmp6Field(v6, "Udp6InDatagrams"),
  };
}

/** The kernel's accept-queue drop counters of one network namespace. */
export interface ListenCounters {
  /** `TcpExt: ListenOverflows`: SYNs or handshakes dropped because an accept queue was full. */
  overflows: number;
  /** `TcpExt: ListenDrops`: everything a listener dropped, overflows included. */
  drops: number;
}

/**
 * Reads the accept-queue counters of a process's network namespace from `/proc/PID/net/netstat`
 * (the process's namespace, whatever the reader's). The bench reads them, not the target.
 *
 * @param pid A process in the namespace.
 * @returns The counters; NaN where they cannot be read.
 */
export function listenCounters(pid: number): ListenCounters {
  let text = "";
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/net/netstat`);
  } catch { /* NaN below */ }
  return {
    overflows: snmpField(text, "TcpExt", "ListenOverflows"),
    drops: snmpField(text, "TcpExt", "ListenDrops"),
  };
}
