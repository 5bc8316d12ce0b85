/**
 * The top-level `accept` key: which engine takes connections off the listening socket.
 *
 * @module
 */

/**
 * How connections are accepted. `"accept4"`: the sensor calls `accept4` itself on the listening
 * socket, driven by its own epoll set; a connection the client reset while it waited in the
 * accept queue is still recorded. `"deno"`: Deno's `listener.accept()`, the original design;
 * Deno drops such a connection (`NotConnected`), so scanners that close with a reset, such as
 * `nmap -sT`, leave few records, and each connection costs a Deno resource.
 */
export type AcceptEngine = "accept4" | "deno";

/** The engines, for checking. */
export const ACCEPT_ENGINES: readonly AcceptEngine[] = ["accept4", "deno"];

/** The engine used when `accept` is not set. */
export const DEFAULT_ACCEPT_ENGINE: AcceptEngine = "accept4";
