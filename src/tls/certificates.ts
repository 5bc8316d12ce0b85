/**
 * The certificates Spip shows TLS clients: loaded from PEM files named in the config, or
 * self-signed ECDSA P-256 certificates made on demand that name what the client asked for (its
 * SNI, else the address it dialled), held in a bounded LRU cache. A sensor whose certificate
 * always says "localhost" is fingerprinted at a glance.
 *
 * @module
 */
import "reflect-metadata"; // tsyringe, inside @peculiar/x509, needs the Reflect polyfill first.
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

/** A certificate and its private key, both PEM. */
export interface CertificatePair {
  /** The certificate chain, PEM. */
  readonly cert: string;
  /** The private key, PEM. */
  readonly key: string;
}

/** What a generated certificate names. */
export interface CertificateSubject {
  /** A DNS name for the common name and subjectAltName. */
  readonly dnsName?: string;
  /** An IP address for the subjectAltName (and the common name when no DNS name is given). */
  readonly ip?: string;
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;

function randomHex(bytes: number): string {
  const value = crypto.getRandomValues(new Uint8Array(bytes));
  value[0] = ((value[0] ?? 0) & 0x7f) | 0x01; // A positive serial with no leading zero byte.
  return value.toHex();
}

function pemKey(pkcs8: ArrayBuffer): string {
  const base64 = new Uint8Array(pkcs8).toBase64();
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

/**
 * Makes a self-signed ECDSA P-256 certificate and a fresh key, valid from a random day in the
 * past month for 90 days, as an ACME-issued certificate would be.
 *
 * @param subject The names to put in it.
 * @returns The certificate and key as PEM.
 */
export async function generateSelfSigned(subject: CertificateSubject): Promise<CertificatePair> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const notBefore = new Date(Date.now() - (1 + Math.floor(Math.random() * 30)) * DAY_MS);
  const names: x509.JsonGeneralName[] = [];
  if (subject.dnsName !== undefined) names.push({ type: "dns", value: subject.dnsName });
  if (subject.ip !== undefined) names.push({ type: "ip", value: subject.ip });
  const commonName = subject.dnsName ?? subject.ip ?? "server";
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomHex(16),
    name: [{ CN: [commonName] }],
    notBefore,
    notAfter: new Date(notBefore.getTime() + 90 * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
    ],
  });
  const key = pemKey(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { cert: cert.toString("pem"), key };
}

/**
 * Whether a client's SNI is a host name a certificate can carry: letters, digits, hyphens,
 * underscores and dots, labels of 1 to 63 characters, 253 characters at most, not an IP address.
 *
 * @param name The SNI.
 * @returns True when a certificate may name it.
 */
export function isCertificateName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  if (!/^(\*\.)?[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*\.?$/.test(name)) return false;
  return !/^[0-9.]+$/.test(name);
}

/**
 * Reads a certificate and key from PEM files and checks that they look like PEM.
 *
 * @param certFile The certificate (chain) file.
 * @param keyFile The private key file.
 * @returns The pair.
 * @throws {Error} "Cannot load TLS certificate FILE: ..." when a file cannot be read or is not
 *   PEM of the expected kind.
 */
export function loadCertificateFiles(certFile: string, keyFile: string): CertificatePair {
  const read = (file: string): string => {
    try {
      return Deno.readTextFileSync(file);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`Cannot load TLS certificate ${file}: ${detail}`);
    }
  };
  const cert = read(certFile), key = read(keyFile);
  try {
    new x509.X509Certificate(cert);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot load TLS certificate ${certFile}: not a PEM certificate (${detail})`);
  }
  if (!/-----BEGIN (EC |RSA |ENCRYPTED )?PRIVATE KEY-----/.test(key)) {
    throw new Error(`Cannot load TLS certificate ${keyFile}: no PEM private key in it`);
  }
  return { cert, key };
}

/** How a {@linkcode CertificateStore} gets its certificates. */
export interface CertificateStoreOptions {
  /** A fixed certificate for every client; null generates them per name. */
  readonly fixed: CertificatePair | null;
  /** How many generated certificates to keep, least recently used dropped first. */
  readonly cacheSize: number;
  /** Generations running at once at most; past it the fallback certificate is shown. Default 4. */
  readonly maxPending?: number;
}

/**
 * Chooses the certificate for each TLS connection. With a fixed certificate it returns that;
 * otherwise it generates one per name (the SNI, or the dialled address when there is none) and
 * keeps the most recently used in a bounded cache. When too many generations are already
 * running, as under a flood of random names, it answers with a fallback certificate made at
 * start-up instead of spending more CPU.
 */
export class CertificateStore {
  readonly #fixed: CertificatePair | null;
  readonly #fallback: CertificatePair;
  readonly #cacheSize: number;
  readonly #maxPending: number;
  readonly #cache = new Map<string, Promise<CertificatePair>>();
  #pending = 0;

  private constructor(options: CertificateStoreOptions, fallback: CertificatePair) {
    this.#fixed = options.fixed;
    this.#fallback = fallback;
    this.#cacheSize = options.cacheSize;
    this.#maxPending = options.maxPending ?? 4;
  }

  /**
   * Makes a store, generating its fallback certificate unless a fixed one is given.
   *
   * @param options Where certificates come from and how many to keep.
   * @returns The store.
   */
  static async create(options: CertificateStoreOptions): Promise<CertificateStore> {
    const fallback = options.fixed ?? await generateSelfSigned({});
    return new CertificateStore(options, fallback);
  }

  /** How many generated certificates the cache holds. */
  get size(): number {
    return this.#cache.size;
  }

  /**
   * The certificate for a connection.
   *
   * @param serverName The client's SNI, or null.
   * @param destinationIp The address the client dialled, named when there is no usable SNI.
   * @returns The certificate and key.
   */
  certificateFor(serverName: string | null, destinationIp: string): Promise<CertificatePair> {
    if (this.#fixed !== null) return Promise.resolve(this.#fixed);
    const subject: CertificateSubject = serverName !== null && isCertificateName(serverName)
      ? { dnsName: serverName.toLowerCase().replace(/\.$/, "") }
      : { ip: destinationIp };
    const cacheKey = subject.dnsName !== undefined ? `dns:${subject.dnsName}` : `ip:${subject.ip}`;
    const cached = this.#cache.get(cacheKey);
    if (cached !== undefined) {
      this.#cache.delete(cacheKey);
      this.#cache.set(cacheKey, cached);
      return cached;
    }
    if (this.#pending >= this.#maxPending) return Promise.resolve(this.#fallback);
    this.#pending++;
    const made = generateSelfSigned(subject).finally(() => this.#pending--);
    const entry = made.catch(() => this.#fallback);
    made.catch(() => this.#cache.delete(cacheKey));
    this.#cache.set(cacheKey, entry);
    while (this.#cache.size > this.#cacheSize) {
      const oldest = this.#cache.keys().next();
      if (oldest.done) break;
      this.#cache.delete(oldest.value);
    }
    return entry;
  }
}
