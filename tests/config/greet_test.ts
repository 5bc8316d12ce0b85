import { assertEquals, assertThrows } from "../../testing/std.ts";
import { parseConfig } from "../../src/config/config.ts";
import { DEFAULT_GREET_PORTS, greetProtocolFor } from "../../src/config/greet.ts";

const BASE = 'ip = "::"\nport = 5555\nname = "t"\n';

Deno.test("[greet] defaults: on, 1.5 s, the well-known ports, none elsewhere, SSH on any port", () => {
  const greet = parseConfig(BASE, "c.toml").greet;
  assertEquals(greet.enabled, true);
  assertEquals(greet.afterMs, 1500);
  assertEquals([...greet.ports].sort((a, b) => a[0] - b[0]), [
    [21, "ftp"],
    [23, "telnet"],
    [25, "smtp"],
    [110, "pop3"],
    [143, "imap"],
    [587, "smtp"],
    [2222, "ssh"],
    [2323, "telnet"],
    [2525, "smtp"],
    [3306, "mysql"],
    [5900, "vnc"],
  ]);
  assertEquals(greet.defaultProtocol, null);
  assertEquals(greet.detectSsh, true);
  assertEquals(greetProtocolFor(greet, 8080), null);
  // A short idle timeout halves the default delay, so greeting still comes first.
  assertEquals(parseConfig(`${BASE}idle_timeout = 1\n`, "c.toml").greet.afterMs, 500);
});

Deno.test("[greet] ports merge over the built-in map; none removes; default covers the rest", () => {
  const greet = parseConfig(
    BASE + '[greet]\nafter = 3\ndefault = "telnet"\ndetect_ssh = false\n' +
      '[greet.ports]\n21 = "none"\n8021 = "ftp"\n25 = "imap"\n' +
      '[greet.banners]\nftp = "FTP server ready."\nssh = "OpenSSH_8.9p1 Ubuntu-3ubuntu0.10"\n',
    "c.toml",
  ).greet;
  assertEquals(greet.afterMs, 3000);
  assertEquals(greetProtocolFor(greet, 21), "telnet");
  assertEquals(greetProtocolFor(greet, 8021), "ftp");
  assertEquals(greetProtocolFor(greet, 25), "imap");
  assertEquals(greetProtocolFor(greet, 110), "pop3");
  assertEquals(greetProtocolFor(greet, 9), "telnet");
  assertEquals(greet.detectSsh, false);
  assertEquals(greet.banners, {
    ftp: "FTP server ready.",
    ssh: "OpenSSH_8.9p1 Ubuntu-3ubuntu0.10",
  });
  assertEquals(DEFAULT_GREET_PORTS.get(21), "ftp");
});

Deno.test("[greet] bad values are one-line errors naming the file and the key", () => {
  const cases: [string, ErrorConstructor, string][] = [
    ['[greet]\nenabled = "yes"', TypeError, 'key "greet.enabled": expected true or false'],
    ["[greet]\nafter = 0", RangeError, 'key "greet.after": expected a number of seconds'],
    [
      "[greet]\nafter = 10",
      RangeError,
      'key "greet.after": expected fewer seconds than idle_timeout',
    ],
    ['[greet]\ndefault = "gopher"', RangeError, 'key "greet.default": expected one of "ftp"'],
    ['[greet.ports]\n21 = "ftps"', RangeError, 'key "greet.ports.21": expected one of "ftp"'],
    ["[greet.ports]\n21 = 5", RangeError, 'key "greet.ports.21": expected one of'],
    ['[greet.ports]\n70000 = "ftp"', RangeError, 'key "greet.ports.70000": expected a port'],
    ['[greet.ports]\nftp = "ftp"', RangeError, 'key "greet.ports.ftp": expected a port'],
    ['[greet.banners]\nvnc = "RFB"', RangeError, 'key "greet.banners.vnc": expected one of "ftp"'],
    [
      '[greet.banners]\nftp = "two\\nlines"',
      RangeError,
      'key "greet.banners.ftp": expected one line',
    ],
    ["[greet]\nspeak = true", TypeError, 'key "greet.speak": expected no such key'],
  ];
  for (const [toml, kind, part] of cases) {
    const error = assertThrows(() => parseConfig(`${BASE}${toml}\n`, "/etc/spip.toml"), kind);
    assertEquals(error.message.includes("/etc/spip.toml"), true, error.message);
    assertEquals(error.message.includes(part), true, `${error.message} lacks ${part}`);
    assertEquals(error.message.includes("\n"), false);
  }
  // Switched off, a long delay is no error: it is never used.
  assertEquals(
    parseConfig(`${BASE}[greet]\nenabled = false\nafter = 60\n`, "c").greet.enabled,
    false,
  );
});
