/**
 * The independent reference for the TLS tests: `read-tls-client-hello`, a TEST-ONLY dependency
 * named here with its full specifier so that `deno compile` never embeds it.
 *
 * @module
 */
import { PassThrough } from "node:stream";
import { Buffer } from "node:buffer";
import {
  calculateJa3,
  calculateJa4,
  getExtensionData,
  readTlsClientHello,
  type TlsClientHelloMessage,
} from "npm:read-tls-client-hello@2.0.0";

/** What the reference library reads from a hello. */
export interface ReferenceHello {
  /** The parsed message. */
  readonly message: TlsClientHelloMessage;
  /** Its JA3 MD5. */
  readonly ja3Hash: string;
  /** Its JA4. */
  readonly ja4: string;
  /** Its SNI. */
  readonly serverName: string | undefined;
  /** Its ALPN protocols. */
  readonly alpn: string[] | undefined;
}

/**
 * Parses a hello with the reference library.
 *
 * @param bytes The hello's record bytes (one record: the library reads only the first).
 * @returns What the library reads.
 */
export async function referenceHello(bytes: Uint8Array): Promise<ReferenceHello> {
  // The library waits for a readable stream that stays open, as a socket does.
  const stream = new PassThrough();
  stream.write(Buffer.from(bytes));
  const message = await readTlsClientHello(stream);
  stream.destroy();
  return {
    message,
    ja3Hash: calculateJa3(message),
    ja4: calculateJa4(message),
    serverName: getExtensionData(message, 0x0000)?.serverName,
    alpn: getExtensionData(message, 0x0010)?.protocols,
  };
}
