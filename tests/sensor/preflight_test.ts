import { assertEquals, assertRejects, assertThrows } from "../../testing/std.ts";
import { parseConfig } from "../../src/config/config.ts";
import { checkFirewallTools, checkOutputPath } from "../../src/sensor/preflight.ts";

const REDIRECT = parseConfig('ip = "::"\nport = 5555\nname = "n"\n', "/etc/spip/config.toml");
const TPROXY = parseConfig('ip = "::"\nport = 5555\nname = "n"\nmode = "tproxy"\n', "c.toml");

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "spip-preflight-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("checkFirewallTools: iptables + ip6tables or nft for redirect; ip too for tproxy", async () => {
  await withDir(async (dir) => {
    assertThrows(
      () => checkFirewallTools(REDIRECT, [dir]),
      Error,
      `Cannot load config /etc/spip/config.toml: mode "redirect": the firewall needs iptables`,
    );
    await Deno.writeTextFile(`${dir}/nft`, "");
    assertEquals(checkFirewallTools(REDIRECT, [dir]), {
      iptables: null,
      ip6tables: null,
      nft: `${dir}/nft`,
      ip: null,
    });
    assertThrows(() => checkFirewallTools(TPROXY, [dir]), Error, "the firewall needs ip");
    await Deno.writeTextFile(`${dir}/ip`, "");
    assertEquals(checkFirewallTools(TPROXY, [dir])["ip"], `${dir}/ip`);
  });
});

Deno.test("checkOutputPath: an existing file is left as it is, a missing one is not created", async () => {
  await withDir(async (dir) => {
    checkOutputPath(`${dir}/new.jsonl`, REDIRECT);
    await assertRejects(() => Deno.stat(`${dir}/new.jsonl`), Deno.errors.NotFound);
    await Deno.writeTextFile(`${dir}/old.jsonl`, "{}\n");
    checkOutputPath(`${dir}/old.jsonl`, REDIRECT);
    assertEquals(await Deno.readTextFile(`${dir}/old.jsonl`), "{}\n");
    assertThrows(
      () => checkOutputPath(`${dir}/missing/spip.jsonl`, REDIRECT),
      Error,
      `Cannot load config /etc/spip/config.toml: output ${dir}/missing/spip.jsonl: `,
    );
  });
});
