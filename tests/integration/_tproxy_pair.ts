/**
 * Test fixture: two network namespaces joined by a veth pair with TPROXY rules. The code lives in
 * `bench/tproxy_pair.ts`, which the bench's UDP scenario shares.
 *
 * @module
 */
export * from "../../bench/tproxy_pair.ts";
