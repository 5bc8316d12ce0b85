/**
 * `spip report` on a file a real sensor wrote (counts equal Python's), and its HTML page opened
 * by headless Chromium without network: screenshot, no console errors, SVG charts with the
 * expected number of bars.
 */
import { assert, assertEquals, assertGreater, assertStringIncludes } from "../../testing/std.ts";
import { parseReportArgs, summarise } from "../../src/report/command.ts";
import { writeRecordsFile } from "../../testing/report_records.ts";
import { RedirectNamespace } from "../../testing/namespace.ts";
import { ROOT, SensorProcess, testConfig } from "./_sensor_process.ts";
import { independentCounts } from "../report/_independent_counts.ts";
import { assertSameCounts } from "../report/_compare.ts";

const TOP = 1000;

/** Traffic of several kinds: HTTP, TLS with SNI, SSH versions, binary, silent connections. */
const CLIENT = `
import socket, time
def send(port, data, wait=True):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if data:
        s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    try:
        s.recv(1)
    except OSError:
        pass
    s.close()
for i in range(12):
    send(80 + i % 3, b"GET /r%d HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" % (i % 4))
for i in range(6):
    send(22 if i % 2 else 2222, b"SSH-2.0-Test_%d\\r\\n" % (i % 2))
for i in range(5):
    send(445, bytes([0, 0, 0, 0x2f, 0xff, 0x53, 0x4d, 0x42, i]))
for i in range(7):
    s = socket.create_connection(("127.0.0.1", 3389 + i % 2), timeout=5)
    s.close()
`;

Deno.test("report: counts on a real sensor's records file equal Python's", async () => {
  const ns = await RedirectNamespace.create("report");
  const dir = await Deno.makeTempDir({ prefix: "spip-report-int-" });
  const path = `${dir}/records.jsonl`;
  let sensor: SensorProcess | undefined;
  try {
    sensor = await SensorProcess.start(
      ns,
      testConfig(ns.port, `output = "${path}"\nrecord_silent = true\nidle_timeout = 1`),
    );
    const client = await ns.python(CLIENT);
    assertEquals(client.code, 0, client.stderr);
    for (const sni of ["a.example", "b.example", "a.example"]) {
      await ns.run([
        "curl",
        "-sk",
        "-m",
        "2",
        "--resolve",
        `${sni}:443:127.0.0.1`,
        `https://${sni}/`,
      ]);
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const text = await Deno.readTextFile(path).catch(() => "");
      const lines = text.split("\n").filter((l) => l !== "");
      if (lines.filter((l) => l.includes('"silent":true')).length >= 7 && lines.length >= 33) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const exit = await sensor.stop();
    sensor = undefined;
    assertEquals(exit.code, 0, exit.stderr);
    const summary = await summarise(parseReportArgs([path, "--top", String(TOP)]));
    const counts = await independentCounts(path);
    assertEquals(counts.bad, 0);
    assertGreater(counts.tcp.silent, 6);
    assertGreater(Object.keys(counts.ja4).length, 0);
    assertEquals(counts.firstLines["GET /r1 HTTP/1.1"], 3);
    assertSameCounts(summary, counts, TOP);
    const tls = summary.tcp.firstLines.entries.find((e) => e.label === "TLS sni=a.example");
    assertEquals(tls?.count, 2, "curl's ClientHello with SNI a.example, twice");
  } finally {
    await sensor?.kill();
    await ns.delete();
    await Deno.remove(dir, { recursive: true });
  }
});

function countMatches(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length;
}

/** The SVG of one figure of the page (by id). */
function figure(dom: string, id: string): string {
  const start = dom.indexOf(`<figure class="chart" id="${id}">`);
  assert(start >= 0, `figure ${id} is on the page`);
  return dom.slice(start, dom.indexOf("</figure>", start));
}

/**
 * Bars of an Observable Plot chart: the rect elements of its bar, rect and cell marks (each mark
 * is one `<g ... aria-label="...">` whose children are the rects, each holding only its `<title>`).
 */
function bars(svg: string): number {
  let n = 0;
  for (const group of svg.split(/<g [^>]*aria-label="(?:bar|rect|cell)"/).slice(1)) {
    n += countMatches(group.slice(0, group.indexOf("</g>")), /<rect[\s>]/g);
  }
  return n;
}

Deno.test("report --html: Chromium opens the page offline, without console errors, and draws every chart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spip-report-html-" });
  try {
    const records = `${dir}/records.jsonl`;
    // Two days, so the timeline has many buckets and "new in the last day" has content.
    await writeRecordsFile(records, { bytes: 600_000, seed: 11, stepSeconds: 200 });
    await Deno.writeTextFile(records, '{"hostile":"<script>alert(1)</script>"}\n', {
      append: true,
    });
    const page = `${dir}/report.html`;
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        `${ROOT}main.ts`,
        "report",
        records,
        "--html",
        page,
        "--top",
        "7",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
    assertEquals(new TextDecoder().decode(run.stderr), "", "nothing on stderr");
    const html = await Deno.readTextFile(page);
    assertEquals(
      countMatches(html, /<script|<link|<iframe|<img|src=|href=|@import|url\((?!#)/gi),
      0,
      "self-contained",
    );
    const summary = await summarise(parseReportArgs([records, "--top", "7"]));

    const screenshot = `${dir}/report.png`;
    // unshare -n: a fresh network namespace with nothing in it, so the page must be offline.
    const chromium = await new Deno.Command("unshare", {
      args: [
        "-n",
        "chromium",
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--enable-logging=stderr",
        "--v=0",
        `--screenshot=${screenshot}`,
        "--window-size=1100,2400",
        "--dump-dom",
        `file://${page}`,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(90_000),
    }).output();
    const log = new TextDecoder().decode(chromium.stderr);
    const dom = new TextDecoder().decode(chromium.stdout);
    assertEquals(chromium.code, 0, log);
    // Only the page's own messages: under load Chromium's internal chrome:// pages may log too.
    const pageMessages = log.split("\n").filter((l) =>
      l.includes(":CONSOLE") && l.includes(`source: file://${page}`)
    );
    assertEquals(pageMessages, [], "no console messages from the page");
    const png = await Deno.readFile(screenshot);
    assertEquals([...png.slice(1, 4)], [0x50, 0x4e, 0x47], "a PNG screenshot");
    assertGreater(png.length, 20_000);

    assertStringIncludes(dom, "Spip report");
    assertEquals(countMatches(dom, /<svg /g), countMatches(dom, /<figure class="chart"/g));
    assertEquals(bars(figure(dom, "chart-ports")), 7);
    assertEquals(bars(figure(dom, "chart-sources-tcp")), 7);
    assertEquals(bars(figure(dom, "chart-sources-udp")), 7);
    assertEquals(bars(figure(dom, "chart-ja4")), 3, "three JA4 in the generated file");
    assertEquals(bars(figure(dom, "chart-ja3")), 2);
    assertEquals(bars(figure(dom, "chart-syn")), 3);
    assertEquals(bars(figure(dom, "chart-hassh")), 2);
    // Heat map: one cell per port shown and hour; timeline: one bar per bucket and series (Plot
    // draws empty ones too, at zero height).
    assertEquals(bars(figure(dom, "chart-heatmap")), summary.heat.cells.length);
    assertEquals(
      bars(figure(dom, "chart-timeline")),
      summary.timeline.rows.length,
    );
    assertGreater(summary.timeline.rows.length, 40);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
