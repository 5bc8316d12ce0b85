/**
 * A connected TCP pair on loopback, for tests of socket calls.
 *
 * @module
 */

/** A listener with one accepted connection and its client, closed together on dispose. */
export interface Pair {
  /** The listener. */
  listener: Deno.TcpListener;
  /** The accepted side. */
  server: Deno.TcpConn;
  /** The client side. */
  client: Deno.TcpConn;
  /** Closes all three; any already closed is skipped. */
  [Symbol.dispose](): void;
}

/**
 * Opens a TCP connection to itself on 127.0.0.1.
 *
 * @returns The listener and both ends.
 */
export async function connectedPair(): Promise<Pair> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connecting = Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  const client = await connecting;
  return {
    listener,
    server,
    client,
    [Symbol.dispose](): void {
      for (const closer of [server, client, listener]) {
        try {
          closer.close();
        } catch {
          // Already closed by the test.
        }
      }
    },
  };
}
