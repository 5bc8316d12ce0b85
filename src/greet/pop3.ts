/**
 * POP3 (Dovecot's words): `+OK`, `CAPA`, `USER`/`PASS` -> `-ERR`, three failed logins, then
 * the end.
 *
 * @module
 */
import { ascii, type DialogSite, MAX_LOGIN_ATTEMPTS } from "./dialog.ts";
import { type LineAnswer, LineDialog } from "./line_dialog.ts";

/**
 * The built-in banner: Dovecot's default `login_greeting`, which `nmap -sV` reports as
 * "Dovecot pop3d" (Debian's "Dovecot (Debian) ready." matches no nmap 7.93 signature).
 */
export const POP3_BANNER = "Dovecot ready.";

/** Only USER is offered, so that clients send their password as such. */
const CAPABILITIES = "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nUSER\r\n.\r\n";
const FAILED = "-ERR [AUTH] Authentication failed.\r\n";

/** POP3 before login. */
export class Pop3Dialog extends LineDialog {
  readonly protocol = "pop3";
  readonly #banner: string;
  #user = false;
  #failures = 0;

  /** @param site Where it runs. */
  constructor(site: DialogSite) {
    super();
    this.#banner = site.banner ?? POP3_BANNER;
  }

  greeting(): Uint8Array {
    return ascii(`+OK ${this.#banner}\r\n`);
  }

  #fail(): LineAnswer {
    this.#failures++;
    return { text: FAILED, end: this.#failures >= MAX_LOGIN_ATTEMPTS };
  }

  protected answer(line: string): LineAnswer {
    const [verb = ""] = line.split(" ", 1);
    switch (verb.toUpperCase()) {
      case "CAPA":
        return { text: CAPABILITIES };
      case "USER":
        this.#user = true;
        return { text: "+OK\r\n" };
      case "PASS":
        if (!this.#user) return { text: "-ERR No username given.\r\n" };
        this.#user = false;
        return this.#fail();
      case "APOP":
        return this.#fail();
      case "QUIT":
        return { text: "+OK Logging out.\r\n", end: true };
      case "":
        return { text: null };
      default:
        return { text: "-ERR Unknown command.\r\n" };
    }
  }
}
