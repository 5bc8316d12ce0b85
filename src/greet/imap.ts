/**
 * IMAP (Dovecot's words): `* OK`, `CAPABILITY`, `LOGIN` -> `NO`, `AUTHENTICATE` -> `NO`, three
 * failed logins, then the end. No `AUTH=` mechanism is offered, so clients use `LOGIN`.
 *
 * @module
 */
import { ascii, type DialogSite, MAX_LOGIN_ATTEMPTS } from "./dialog.ts";
import { type LineAnswer, LineDialog, MAX_LINE_BYTES } from "./line_dialog.ts";

/** The built-in banner, after the capabilities: what `nmap -sV` reports as Dovecot. */
export const IMAP_BANNER = "Dovecot ready.";

const CAPABILITIES = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+";
const FAILED = "NO [AUTHENTICATIONFAILED] Authentication failed.";
/** A tag Spip echoes: IMAP's atom characters, at most 32. */
const TAG = /^[A-Za-z0-9.+_-]{1,32}$/;
/** A line that ends in a literal's length: `{5}` (wait for "+") or `{5+}` (don't). */
const LITERAL = /\{([0-9]{1,6})(\+?)\}$/;

/** IMAP before login. */
export class ImapDialog extends LineDialog {
  readonly protocol = "imap";
  readonly #banner: string;
  #failures = 0;
  /** A command whose literal arguments are still coming. */
  #pending: string | null = null;
  /** The tag of an AUTHENTICATE waiting for its client response. */
  #authenticating: string | null = null;

  /** @param site Where it runs. */
  constructor(site: DialogSite) {
    super();
    this.#banner = site.banner ?? IMAP_BANNER;
  }

  greeting(): Uint8Array {
    return ascii(`* OK [CAPABILITY ${CAPABILITIES}] ${this.#banner}\r\n`);
  }

  #fail(tag: string): LineAnswer {
    this.#failures++;
    return { text: `${tag} ${FAILED}\r\n`, end: this.#failures >= MAX_LOGIN_ATTEMPTS };
  }

  protected answer(line: string): LineAnswer {
    if (this.#authenticating !== null) {
      const tag = this.#authenticating;
      this.#authenticating = null;
      if (line === "*") return { text: `${tag} BAD Authentication aborted by client.\r\n` };
      return this.#fail(tag);
    }
    const command = ((this.#pending ?? "") + line).slice(0, MAX_LINE_BYTES);
    const literal = LITERAL.exec(line);
    if (literal !== null) {
      this.#pending = command;
      return { text: literal[2] === "+" ? null : "+ OK\r\n" };
    }
    this.#pending = null;
    return this.#command(command);
  }

  #command(line: string): LineAnswer {
    const words = line.split(" ");
    const tag = words[0] ?? "";
    if (line === "") return { text: null };
    if (!TAG.test(tag)) return { text: "* BAD Error in IMAP command received by server.\r\n" };
    switch ((words[1] ?? "").toUpperCase()) {
      case "CAPABILITY":
        return {
          text: `* CAPABILITY ${CAPABILITIES}\r\n` +
            `${tag} OK Pre-login capabilities listed, post-login capabilities have more.\r\n`,
        };
      case "LOGIN":
        return this.#fail(tag);
      case "AUTHENTICATE":
        if (words.length > 3) return this.#fail(tag);
        this.#authenticating = tag;
        return { text: "+ \r\n" };
      case "NOOP":
        return { text: `${tag} OK NOOP completed.\r\n` };
      case "ID":
        return { text: `* ID NIL\r\n${tag} OK ID completed.\r\n` };
      case "LOGOUT":
        return { text: `* BYE Logging out\r\n${tag} OK Logout completed.\r\n`, end: true };
      default:
        return { text: `${tag} BAD Error in IMAP command received by server.\r\n` };
    }
  }
}
