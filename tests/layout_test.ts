import { assertEquals } from "../testing/std.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Every `.ts` file under a folder of the checkout, as paths relative to the root. */
async function tsFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(`${ROOT}${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) found.push(path);
    }
  };
  await walk(folder);
  return found.sort();
}

/** The checkout-relative paths a file imports with relative specifiers. */
async function relativeImports(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(`${ROOT}${file}`);
  const dir = file.split("/").slice(0, -1);
  const targets: string[] = [];
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
    const parts = [...dir];
    for (const part of (match[1] ?? "").split("/")) {
      if (part === "..") parts.pop();
      else if (part !== ".") parts.push(part);
    }
    targets.push(parts.join("/"));
  }
  return targets;
}

/** Pairs `file -> import` where the import starts with one of the prefixes. */
async function crossings(folders: string[], prefixes: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const folder of folders) {
    for (const file of await tsFiles(folder)) {
      for (const target of await relativeImports(file)) {
        if (prefixes.some((prefix) => target.startsWith(prefix))) {
          found.push(`${file} -> ${target}`);
        }
      }
    }
  }
  return found;
}

/** The call only ffi/ may make, spelled in parts so that this file does not contain it. */
const DLOPEN_CALL = ["Deno", "dlopen("].join(".");

Deno.test("layout: ffi/ imports nothing from src/, and only ffi/ opens libc", async () => {
  assertEquals(await crossings(["ffi"], ["src/"]), []);
  const callers: string[] = [];
  for (const folder of ["ffi", "src", "bench", "tests", "testing"]) {
    for (const file of await tsFiles(folder)) {
      if (file === "tests/layout_test.ts" || file.startsWith("ffi/")) continue;
      if ((await Deno.readTextFile(`${ROOT}${file}`)).includes(DLOPEN_CALL)) callers.push(file);
    }
  }
  assertEquals(callers, []);
});

Deno.test("layout: tests/ and bench/ do not import each other; the product imports neither, nor testing/", async () => {
  assertEquals(await crossings(["tests"], ["bench/"]), []);
  assertEquals(await crossings(["bench"], ["tests/"]), []);
  assertEquals(await crossings(["src", "ffi"], ["tests/", "bench/", "testing/"]), []);
  const main = await relativeImports("main.ts");
  assertEquals(main.filter((target) => !/^(src|ffi)\//.test(target)), []);
});

Deno.test("layout: the folders of src/ import each other one way, without a cycle", async () => {
  const edges = new Map<string, Set<string>>();
  for (const file of await tsFiles("src")) {
    const from = file.split("/")[1] ?? "";
    for (const target of await relativeImports(file)) {
      const [top, to] = target.split("/");
      if (top !== "src" || to === undefined || to === from || to.endsWith(".ts")) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)?.add(to);
    }
  }
  const cycles: string[] = [];
  const visit = (node: string, path: string[]): void => {
    if (path.includes(node)) {
      cycles.push([...path.slice(path.indexOf(node)), node].join(" -> "));
      return;
    }
    for (const next of edges.get(node) ?? []) visit(next, [...path, node]);
  };
  for (const node of edges.keys()) visit(node, []);
  assertEquals(cycles, []);
});
