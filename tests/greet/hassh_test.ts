import { assert, assertEquals } from "../../testing/std.ts";
import {
  hassh,
  MAX_PACKET_BYTES,
  opensSsh,
  parseKexInit,
  SshOpeningReader,
} from "../../src/greet/hassh.ts";
import { SshDialog } from "../../src/greet/ssh.ts";
import { bytesOf, greeting, SITE } from "./_dialog.ts";

const LISTS = [
  "curve25519-sha256,ext-info-c",
  "ssh-ed25519,rsa-sha2-512",
  "aes128-ctr,chacha20-poly1305@openssh.com",
  "aes128-ctr",
  "hmac-sha2-256",
  "hmac-sha2-256",
  "none,zlib@openssh.com",
  "none",
  "",
  "",
];
/** MD5 of the string below, computed with Python's hashlib. */
const EXPECTED_HASSH = "10a480bf5dc9271b2f614bbb1ffd5d37";
const EXPECTED_ALGORITHMS =
  "curve25519-sha256,ext-info-c;aes128-ctr,chacha20-poly1305@openssh.com;hmac-sha2-256;none,zlib@openssh.com";

function kexinitPayload(lists: readonly string[] = LISTS): Uint8Array {
  const parts: number[] = [20, ...new Array(16).fill(7)];
  for (const list of lists) {
    const bytes = bytesOf(list);
    parts.push(0, 0, (bytes.length >> 8) & 0xff, bytes.length & 0xff, ...bytes);
  }
  parts.push(0, 0, 0, 0, 0);
  return Uint8Array.from(parts);
}

function packet(payload: Uint8Array, padding = 6): Uint8Array {
  const length = 1 + payload.length + padding;
  const out = new Uint8Array(4 + length);
  new DataView(out.buffer).setUint32(0, length);
  out[4] = padding;
  out.set(payload, 5);
  return out;
}

function opening(payload = kexinitPayload()): Uint8Array {
  const version = bytesOf("SSH-2.0-OpenSSH_9.6\r\n");
  const body = packet(payload);
  const all = new Uint8Array(version.length + body.length);
  all.set(version);
  all.set(body, version.length);
  return all;
}

Deno.test("parseKexInit and hassh: the four client-to-server lists, MD5 as HASSH defines it", () => {
  const kexinit = parseKexInit(kexinitPayload());
  assert(kexinit !== null);
  assertEquals(kexinit.hostKey, "ssh-ed25519,rsa-sha2-512");
  assertEquals(hassh(kexinit), { algorithms: EXPECTED_ALGORITHMS, hash: EXPECTED_HASSH });
});

Deno.test("SshOpeningReader: the version line and KEXINIT in any split give the same result", () => {
  const all = opening();
  for (const cuts of [[], [5], [21], [22, 30], [1, 2, 3, 100], [all.length - 1]]) {
    const reader = new SshOpeningReader();
    let last = 0;
    let result = reader.push(new Uint8Array(0));
    for (const cut of [...cuts, all.length]) {
      result = reader.push(all.subarray(last, cut));
      if (cut < all.length) assertEquals(result.kind, "wait", `cuts ${cuts}`);
      last = cut;
    }
    assert(result.kind === "kexinit", `cuts ${cuts}`);
    assertEquals(result.version, "SSH-2.0-OpenSSH_9.6");
    assertEquals(hassh(result.kexinit).hash, EXPECTED_HASSH);
  }
});

Deno.test("SshOpeningReader: malformed openings are invalid, never held beyond a packet", () => {
  const invalid = (bytes: Uint8Array): string => new SshOpeningReader().push(bytes).kind;
  assertEquals(invalid(bytesOf("GET / HTTP/1.1\r\n")), "invalid");
  assertEquals(invalid(bytesOf("SSH-2.0-" + "x".repeat(300))), "invalid");
  // A packet longer than any implementation must accept.
  const huge = bytesOf("SSH-2.0-x\r\n\x7f\xff\xff\xff\x04");
  assertEquals(invalid(huge), "invalid");
  assertEquals(MAX_PACKET_BYTES, 35000);
  // Not a KEXINIT (message 21), and a name-list running past the payload.
  const notKex = kexinitPayload();
  notKex[0] = 21;
  assertEquals(invalid(opening(notKex)), "invalid");
  const short = kexinitPayload().subarray(0, 30);
  assertEquals(invalid(opening(short)), "invalid");
  // Once invalid, it stays so.
  const reader = new SshOpeningReader();
  assertEquals(reader.push(bytesOf("nope")).kind, "invalid");
  assertEquals(reader.push(opening()).kind, "invalid");
});

Deno.test("opensSsh: SSH-2.0- and SSH-1.99- only", () => {
  assert(opensSsh(bytesOf("SSH-2.0-OpenSSH_9.6\r\n")));
  assert(opensSsh(bytesOf("SSH-1.99-Cisco-1.25\r\n")));
  assert(!opensSsh(bytesOf("SSH-1.5-old\r\n")));
  assert(!opensSsh(bytesOf("SSH-2.0")));
  assert(!opensSsh(bytesOf("GET / HTTP/1.1\r\n")));
});

Deno.test("SshDialog: identification first, then the KEXINIT read carries hassh and ends it", () => {
  const ssh = new SshDialog(SITE);
  assertEquals(greeting(ssh), "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
  const all = opening();
  assertEquals(ssh.receive(all.subarray(0, 21)), { reply: null, end: false, fields: null });
  assertEquals(ssh.receive(all.subarray(21)), {
    reply: null,
    end: true,
    fields: { hassh: EXPECTED_HASSH, hassh_algorithms: EXPECTED_ALGORITHMS },
  });
  const custom = new SshDialog({ ...SITE, banner: "dropbear_2022.83" });
  assertEquals(greeting(custom), "SSH-2.0-dropbear_2022.83\r\n");
});
