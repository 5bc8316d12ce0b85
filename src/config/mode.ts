/**
 * The top-level `mode` key: how traffic reaches the sensor.
 *
 * @module
 */

/**
 * How traffic reaches the sensor. `"redirect"`: netfilter REDIRECT (NAT) rewrites each
 * connection's destination to the sensor's port, and the sensor reads the original back with
 * `SO_ORIGINAL_DST`. `"tproxy"`: netfilter TPROXY delivers packets unchanged to a transparent
 * socket, whose local address is the original destination; this needs CAP_NET_ADMIN.
 */
export type Mode = "redirect" | "tproxy";

/** The modes, for checking. */
export const MODES: readonly Mode[] = ["redirect", "tproxy"];

/** The mode used when `mode` is not set. */
export const DEFAULT_MODE: Mode = "redirect";
