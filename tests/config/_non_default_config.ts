/**
 * Test helper: a `config.toml` that sets every key to a value other than its default, so that a
 * round trip through `spip check` exercises each key's mapping.
 *
 * @module
 */

/** Where the files the document names live. */
export interface NonDefaultPaths {
  /** A PEM certificate. */
  readonly cert: string;
  /** Its PEM key. */
  readonly key: string;
  /** The records file. */
  readonly output: string;
}

/**
 * The document.
 *
 * @param paths The files it names.
 * @returns TOML text.
 */
export function nonDefaultToml(paths: NonDefaultPaths): string {
  return `
ip = "0.0.0.0"
port = 6000
name = "sensor-ams-1"
idle_timeout = 7.25
max_lifetime = 120
max_bytes = 65536
read_size = 1500
max_connections = 500
backlog = 128
record_silent = false
stats_interval = 0
output_buffer = 1048576
output = ${JSON.stringify(paths.output)}
mode = "tproxy"
accept = "deno"
ssh_port = 2200
exclude_ports = [25, 8080]

[udp]
enabled = true
port = 6001
max_datagram = 1200
max_flows = 77
max_rate = 99
idle_timeout = 0.5
receive_buffer = 131072

[tls]
enabled = false
cert = ${JSON.stringify(paths.cert)}
key = ${JSON.stringify(paths.key)}
handshake_timeout = 2.5
cert_cache = 3

[budget]
sessions_per_minute = 30
max_sources = 50

[greet]
enabled = false
after = 0.75
default = "telnet"
detect_ssh = false

[greet.ports]
21 = "none"
2222 = "none"
8021 = "ftp"
25 = "imap"

[greet.banners]
ssh = "OpenSSH_8.4p1 Ubuntu-5ubuntu1"
ftp = "vsFTPd 3.0.3"
`;
}
