/**
 * The README and every page in `docs/`: each relative link points to a file that exists, and each
 * `#anchor` to a heading of the page it names (GitHub's anchor rules). Every page in `docs/` is
 * linked from the README.
 *
 * @module
 */
import { assert, assertEquals } from "../testing/std.ts";

const ROOT = new URL("../", import.meta.url);

/** A link found in a Markdown file. */
interface Link {
  file: string;
  line: number;
  target: string;
}

/** The Markdown text with fenced code blocks and inline code blanked out (lines kept). */
function withoutCode(text: string): string {
  let fenced = false;
  return text.split("\n").map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line.replace(/`[^`]*`/g, "``");
  }).join("\n");
}

/** The inline links `[text](target)` of a Markdown file, outside code. */
function linksOf(file: string, text: string): Link[] {
  const links: Link[] = [];
  withoutCode(text).split("\n").forEach((line, index) => {
    for (const match of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      links.push({ file, line: index + 1, target: match[1] ?? "" });
    }
  });
  return links;
}

/** GitHub's anchor for a heading text: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** The anchors of a Markdown file's headings, numbered as GitHub numbers repeated ones. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? undefined : line.match(/^#{1,6}\s+(.*?)\s*#*\s*$/)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** README.md and docs/*.md, relative to the checkout. */
async function markdownFiles(): Promise<string[]> {
  const files = ["README.md"];
  for await (const entry of Deno.readDir(new URL("docs/", ROOT))) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(`docs/${entry.name}`);
  }
  return files.sort();
}

/** What is wrong with one link, or undefined when it resolves. */
async function problem(link: Link): Promise<string | undefined> {
  const [path = "", anchor] = link.target.split("#", 2);
  const source = new URL(link.file, ROOT);
  const page = path === "" ? source : new URL(path, source);
  if (!await exists(page)) return "no such file";
  if (anchor === undefined) return undefined;
  if (!page.pathname.endsWith(".md")) return "an anchor into a file that is not Markdown";
  const anchors = anchorsOf(await Deno.readTextFile(page));
  return anchors.has(decodeURIComponent(anchor)) ? undefined : `no heading with anchor #${anchor}`;
}

Deno.test("slug follows GitHub's anchors", () => {
  assertEquals(slug("Try it on one machine"), "try-it-on-one-machine");
  assertEquals(slug("cron (`deploy/crontab.example`)"), "cron-deploycrontabexample");
  assertEquals(slug("Backends, and what `remove` takes out"), "backends-and-what-remove-takes-out");
  assertEquals(slug("tproxy mode and UDP capture"), "tproxy-mode-and-udp-capture");
  assertEquals([...anchorsOf("# A\n```\n# not a heading\n```\n## A\n")], ["a", "a-1"]);
});

Deno.test("links: a missing file and a missing anchor are found", async () => {
  assertEquals(
    await problem({ file: "README.md", line: 1, target: "docs/no-such-page.md" }),
    "no such file",
  );
  assertEquals(
    await problem({ file: "README.md", line: 1, target: "#no-such-heading" }),
    "no heading with anchor #no-such-heading",
  );
  assertEquals(await problem({ file: "README.md", line: 1, target: "config.toml" }), undefined);
  assertEquals(
    await problem({ file: "docs/firewall.md", line: 1, target: "#no-such-heading" }),
    "no heading with anchor #no-such-heading",
  );
  assertEquals(
    await problem({ file: "docs/firewall.md", line: 1, target: "#tproxy-rules-by-hand" }),
    undefined,
  );
  assertEquals(
    await problem({ file: "docs/firewall.md", line: 1, target: "../README.md#records" }),
    undefined,
  );
});

Deno.test("links: every relative link in README.md and docs/*.md resolves", async () => {
  const files = await markdownFiles();
  assert(files.length > 1, `no pages in docs/: ${files.join(", ")}`);
  const broken: string[] = [];
  let checked = 0;
  for (const file of files) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    for (const link of linksOf(file, text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue; // https:, mailto: ...
      checked++;
      const why = await problem(link);
      if (why !== undefined) broken.push(`${link.file}:${link.line}: ${link.target}: ${why}`);
    }
  }
  assert(checked > 10, `only ${checked} relative links found`);
  assertEquals(broken, []);
});

Deno.test("links: the README links every page in docs/", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const linked = new Set(
    linksOf("README.md", readme).map((link) => link.target.split("#")[0]),
  );
  const pages = (await markdownFiles()).filter((file) => file.startsWith("docs/"));
  assertEquals(pages.filter((page) => !linked.has(page)), []);
});
