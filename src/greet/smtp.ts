/**
 * SMTP (Postfix's words): `220`, `EHLO`/`HELO` -> `250`, `AUTH` -> `334`/`535`, and `MAIL`,
 * `RCPT`, `DATA` accepted so that the message is sent (and recorded); nothing is relayed.
 *
 * @module
 */
import { ascii, type DialogSite, MAX_LOGIN_ATTEMPTS } from "./dialog.ts";
import { type LineAnswer, LineDialog } from "./line_dialog.ts";

/** The built-in banner: Debian's Postfix. */
export const SMTP_BANNER = "mail.localdomain ESMTP Postfix (Debian/GNU)";

const AUTH_FAILED = "535 5.7.8 Error: authentication failed: authentication failure\r\n";
/** Base64 of "Username:" and "Password:", as AUTH LOGIN asks. */
const ASK_USERNAME = "334 VXNlcm5hbWU6\r\n";
const ASK_PASSWORD = "334 UGFzc3dvcmQ6\r\n";

type State = "command" | "auth-user" | "auth-password" | "auth-blob" | "data";

/** SMTP, as an open relay would look, that relays nothing. */
export class SmtpDialog extends LineDialog {
  readonly protocol = "smtp";
  readonly #banner: string;
  readonly #host: string;
  #state: State = "command";
  #failures = 0;
  #queued = 0;

  /** @param site Where it runs. */
  constructor(site: DialogSite) {
    super();
    this.#banner = site.banner ?? SMTP_BANNER;
    this.#host = this.#banner.split(" ", 1)[0] ?? "localhost";
  }

  greeting(): Uint8Array {
    return ascii(`220 ${this.#banner}\r\n`);
  }

  #authFailed(): LineAnswer {
    this.#state = "command";
    this.#failures++;
    return { text: AUTH_FAILED, end: this.#failures >= MAX_LOGIN_ATTEMPTS };
  }

  protected answer(line: string): LineAnswer {
    switch (this.#state) {
      case "data":
        if (line !== ".") return { text: null };
        this.#state = "command";
        this.#queued++;
        return { text: `250 2.0.0 Ok: queued as ${queueId(this.#queued)}\r\n` };
      case "auth-user":
        if (line === "*") return this.#aborted();
        this.#state = "auth-password";
        return { text: ASK_PASSWORD };
      case "auth-password":
      case "auth-blob":
        if (line === "*") return this.#aborted();
        return this.#authFailed();
      case "command":
        return this.#command(line);
    }
  }

  #aborted(): LineAnswer {
    this.#state = "command";
    return { text: "501 5.7.0 Authentication aborted\r\n" };
  }

  #command(line: string): LineAnswer {
    const words = line.split(" ").filter((w) => w !== "");
    const verb = (words[0] ?? "").toUpperCase();
    switch (verb) {
      case "EHLO":
        return {
          text: `250-${this.#host}\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n` +
            "250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
        };
      case "HELO":
        return { text: `250 ${this.#host}\r\n` };
      case "AUTH":
        return this.#auth((words[1] ?? "").toUpperCase(), words[2]);
      case "MAIL":
        return { text: "250 2.1.0 Ok\r\n" };
      case "RCPT":
        return { text: "250 2.1.5 Ok\r\n" };
      case "DATA":
        this.#state = "data";
        return { text: "354 End data with <CR><LF>.<CR><LF>\r\n" };
      case "RSET":
      case "NOOP":
        return { text: "250 2.0.0 Ok\r\n" };
      case "QUIT":
        return { text: "221 2.0.0 Bye\r\n", end: true };
      case "VRFY":
        return { text: "502 5.5.1 VRFY command is disabled\r\n" };
      case "":
        return { text: null };
      default:
        return { text: "502 5.5.2 Error: command not recognized\r\n" };
    }
  }

  #auth(mechanism: string, initial: string | undefined): LineAnswer {
    if (mechanism === "LOGIN") {
      if (initial === undefined) {
        this.#state = "auth-user";
        return { text: ASK_USERNAME };
      }
      this.#state = "auth-password";
      return { text: ASK_PASSWORD };
    }
    if (mechanism === "PLAIN") {
      if (initial !== undefined) return this.#authFailed();
      this.#state = "auth-blob";
      return { text: "334 \r\n" };
    }
    return { text: "535 5.7.8 Error: authentication failed: Invalid authentication mechanism\r\n" };
  }
}

/** A Postfix-like queue id: ten upper-case hex digits. */
function queueId(n: number): string {
  const random = Math.floor(Math.random() * 0xfffffff);
  return ((random * 16 + n) % 0xffffffffff).toString(16).toUpperCase().padStart(10, "0");
}
