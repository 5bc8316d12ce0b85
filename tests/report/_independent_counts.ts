/**
 * Counts computed independently of `src/report/`, by a Python script over the same records
 * file, for the report's tests to compare with.
 *
 * @module
 */

/** What the Python script counts. */
export interface IndependentCounts {
  lines: number;
  bad: number;
  records: number;
  sessions: number;
  sources: number;
  tcp: { records: number; sessions: number; silent: number; sources: number };
  udp: { records: number; sessions: number; silent: number; sources: number };
  /** Sessions per port label such as `22/tcp`. */
  ports: Record<string, number>;
  /** Sessions per source, per transport. */
  tcpSources: Record<string, number>;
  udpSources: Record<string, number>;
  /** HTTP request lines and SSH versions of sessions' first payloads. */
  firstLines: Record<string, number>;
  ja4: Record<string, number>;
  ja3: Record<string, number>;
  hassh: Record<string, number>;
  /** Records with any syn_* field on a session start. */
  syn: number;
  first: number | null;
  last: number | null;
}

const SCRIPT = String.raw`
import gzip, json, re, sys
from collections import Counter
path = sys.argv[1]
raw = open(path, "rb").read()
if raw[:2] == b"\x1f\x8b":
    raw = gzip.decompress(raw)
out = dict(lines=0, bad=0, records=0, sessions=0, first=None, last=None, syn=0)
sources = set()
per = {t: dict(records=0, sessions=0, silent=0, sources=set()) for t in ("tcp", "udp")}
ports, tcp_src, udp_src, first_lines = Counter(), Counter(), Counter(), Counter()
ja4, ja3, hassh = Counter(), Counter(), Counter()
http = re.compile(r"^[A-Z][A-Z_-]{1,15} \S{1,2048} (?:HTTP|RTSP|SIP)/\d(?:\.\d)?$")
def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)
for line in raw.decode("utf-8", "replace").split("\n"):
    if line == "" or line == "\r":
        continue
    out["lines"] += 1
    try:
        r = json.loads(line)
    except ValueError:
        out["bad"] += 1
        continue
    if not isinstance(r, dict) or not number(r.get("timestamp")) or r["timestamp"] < 0 \
            or not isinstance(r.get("source_ip"), str) or r["source_ip"] == "" \
            or not number(r.get("destination_port")) or r["destination_port"] != int(r["destination_port"]) \
            or not 0 <= r["destination_port"] <= 65535:
        out["bad"] += 1
        continue
    t = "udp" if r.get("transport") == "udp" else "tcp"
    ts = int(r["timestamp"] // 1)
    out["records"] += 1
    out["first"] = ts if out["first"] is None else min(out["first"], ts)
    out["last"] = ts if out["last"] is None else max(out["last"], ts)
    sources.add(r["source_ip"])
    per[t]["records"] += 1
    per[t]["sources"].add(r["source_ip"])
    if "ja4" in r: ja4[r["ja4"]] += 1
    if "ja3_hash" in r or "ja3" in r: ja3[r.get("ja3_hash", r.get("ja3"))] += 1
    if "hassh" in r: hassh[r["hassh"]] += 1
    seq = r.get("seq")
    if not (seq is None or (seq == 1 and not isinstance(seq, bool))):
        continue
    out["sessions"] += 1
    per[t]["sessions"] += 1
    if r.get("silent") is True:
        per[t]["silent"] += 1
    ports["%d/%s" % (r["destination_port"], t)] += 1
    (tcp_src if t == "tcp" else udp_src)[r["source_ip"]] += 1
    if any(k.startswith("syn_") for k in r):
        out["syn"] += 1
    if r.get("silent") is not True and isinstance(r.get("payload"), str) and "ja4" not in r:
        first = re.split(r"\r?\n", r["payload"], maxsplit=1)[0]
        if first.startswith("SSH-") or http.match(first):
            first_lines[first[:72]] += 1
out["sources"] = len(sources)
for t in per:
    per[t]["sources"] = len(per[t]["sources"])
    out[t] = per[t]
out.update(ports=ports, tcpSources=tcp_src, udpSources=udp_src, firstLines=first_lines,
           ja4=ja4, ja3=ja3, hassh=hassh)
print(json.dumps(out))
`;

/**
 * Counts a records file with Python.
 *
 * @param path The file (plain or gzip).
 * @returns The counts.
 */
export async function independentCounts(path: string): Promise<IndependentCounts> {
  const out = await new Deno.Command("python3", {
    args: ["-c", SCRIPT, path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(`Cannot count with python3: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
