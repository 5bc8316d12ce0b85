import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertThrows,
} from "../../testing/std.ts";
import {
  CertificateStore,
  generateSelfSigned,
  isCertificateName,
  loadCertificateFiles,
} from "../../src/tls/certificates.ts";

function altNames(pem: string): string[] {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return san?.names.items.map((n) => `${n.type}:${n.value}`) ?? [];
}

Deno.test("generateSelfSigned() makes an ECDSA P-256 server certificate naming the host", async () => {
  const { cert, key } = await generateSelfSigned({ dnsName: "mail.example.org" });
  const parsed = new x509.X509Certificate(cert);
  assertEquals(parsed.subject, "CN=mail.example.org");
  assertEquals(parsed.issuer, parsed.subject);
  assertEquals(altNames(cert), ["dns:mail.example.org"]);
  assertEquals((parsed.publicKey.algorithm as EcKeyAlgorithm).namedCurve, "P-256");
  assert(parsed.notBefore.getTime() < Date.now() - 86_400_000 + 60_000);
  assert(parsed.notAfter.getTime() > Date.now());
  assert(await parsed.verify({ signatureOnly: true }));
  assertMatch(key, /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/);
  const other = await generateSelfSigned({ dnsName: "mail.example.org" });
  assertNotEquals(other.key, key);
  assertNotEquals(new x509.X509Certificate(other.cert).serialNumber, parsed.serialNumber);
});

Deno.test("generateSelfSigned() certificates work for a real TLS server and client", async () => {
  const pair = await generateSelfSigned({ dnsName: "tls.example", ip: "127.0.0.1" });
  assertEquals(altNames(pair.cert), ["dns:tls.example", "ip:127.0.0.1"]);
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...pair });
  try {
    const served = (async () => {
      const conn = await listener.accept();
      await conn.handshake();
      await conn.write(new TextEncoder().encode("hi"));
      conn.close();
    })();
    const client = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: listener.addr.port,
      caCerts: [pair.cert],
    });
    const buffer = new Uint8Array(2);
    assertEquals(await client.read(buffer), 2);
    client.close();
    await served;
  } finally {
    listener.close();
  }
});

Deno.test("isCertificateName() accepts host names only", () => {
  for (const name of ["example.com", "a-b.c_d.example", "*.example.com", "x", "example.com."]) {
    assert(isCertificateName(name), name);
  }
  for (const name of ["", "1.2.3.4", "a..b", "bad name", "a/b", "\u00e9.example", "x".repeat(64)]) {
    assert(!isCertificateName(name), name);
  }
  assert(!isCertificateName(`${"a".repeat(60)}.`.repeat(5)));
});

Deno.test("CertificateStore names the SNI, else the dialled address", async () => {
  const store = await CertificateStore.create({ fixed: null, cacheSize: 8 });
  assertEquals(altNames((await store.certificateFor("WWW.Example.COM.", "10.0.0.1")).cert), [
    "dns:www.example.com",
  ]);
  assertEquals(altNames((await store.certificateFor(null, "192.0.2.7")).cert), ["ip:192.0.2.7"]);
  assertEquals(altNames((await store.certificateFor("1.2.3.4", "192.0.2.8")).cert), [
    "ip:192.0.2.8",
  ]);
  assertEquals(altNames((await store.certificateFor("bad name", "2001:db8::1")).cert), [
    "ip:2001:db8::1",
  ]);
  assertEquals(store.size, 4);
});

Deno.test("CertificateStore keeps the most recently used certificates up to its bound", async () => {
  const store = await CertificateStore.create({ fixed: null, cacheSize: 2 });
  const a = await store.certificateFor("a.example", "192.0.2.1");
  const b = await store.certificateFor("b.example", "192.0.2.1");
  assertEquals(await store.certificateFor("a.example", "192.0.2.1"), a);
  await store.certificateFor("c.example", "192.0.2.1"); // drops b, the least recently used
  assertEquals(store.size, 2);
  assertEquals(await store.certificateFor("a.example", "192.0.2.1"), a);
  assertNotEquals((await store.certificateFor("b.example", "192.0.2.1")).key, b.key);
  assertEquals(store.size, 2);
});

Deno.test("CertificateStore shares one generation between concurrent requests", async () => {
  const store = await CertificateStore.create({ fixed: null, cacheSize: 4 });
  const [x, y] = await Promise.all([
    store.certificateFor("same.example", "192.0.2.1"),
    store.certificateFor("same.example", "192.0.2.1"),
  ]);
  assertEquals(x, y);
  assertEquals(store.size, 1);
});

Deno.test("CertificateStore answers with the fallback when too many generations run", async () => {
  const store = await CertificateStore.create({ fixed: null, cacheSize: 16, maxPending: 1 });
  const names = await Promise.all(
    ["p.example", "q.example", "r.example"].map((n) => store.certificateFor(n, "192.0.2.1")),
  );
  assertEquals(altNames(names[0]?.cert ?? ""), ["dns:p.example"]);
  assertEquals(altNames(names[1]?.cert ?? ""), []);
  assertEquals(names[1], names[2]);
  assertEquals(store.size, 1);
});

Deno.test("CertificateStore with fixed files returns them for every client", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spip_tls_" });
  try {
    const pair = await generateSelfSigned({ dnsName: "fixed.example" });
    await Deno.writeTextFile(`${dir}/cert.pem`, pair.cert);
    await Deno.writeTextFile(`${dir}/key.pem`, pair.key);
    const fixed = loadCertificateFiles(`${dir}/cert.pem`, `${dir}/key.pem`);
    assertEquals(fixed, pair);
    const store = await CertificateStore.create({ fixed, cacheSize: 1 });
    assertEquals(await store.certificateFor("other.example", "192.0.2.1"), pair);
    assertEquals(await store.certificateFor(null, "192.0.2.1"), pair);
    assertEquals(store.size, 0);

    assertThrows(
      () => loadCertificateFiles(`${dir}/missing.pem`, `${dir}/key.pem`),
      Error,
      `Cannot load TLS certificate ${dir}/missing.pem: `,
    );
    assertThrows(
      () => loadCertificateFiles(`${dir}/key.pem`, `${dir}/key.pem`),
      Error,
      "not a PEM certificate",
    );
    assertThrows(
      () => loadCertificateFiles(`${dir}/cert.pem`, `${dir}/cert.pem`),
      Error,
      "no PEM private key",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
