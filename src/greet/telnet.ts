/**
 * Telnet (a Linux telnetd and login): option negotiation, then `login:`, `Password:`,
 * `Login incorrect`, then the end: one attempt per connection, as many embedded devices allow
 * and as telnet bots expect (Mirai tries one pair per connection; hydra loses its place when
 * a server prompts again on the same connection).
 *
 * @module
 */
import { ascii, type DialogSite } from "./dialog.ts";
import { type LineAnswer, LineDialog } from "./line_dialog.ts";

/** The built-in banner, shown above the first `login:` prompt. */
export const TELNET_BANNER = "Debian GNU/Linux 12";

/** Failed logins before the end. */
const TELNET_LOGIN_ATTEMPTS = 1;

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
/** WILL, WONT, DO, DONT: each takes one option byte. */
const FIRST_OPTION_VERB = 0xfb;

/**
 * netkit telnetd's first words: IAC DO TERMINAL-TYPE, DO TERMINAL-SPEED, DO X-DISPLAY-LOCATION,
 * DO NEW-ENVIRON. `nmap -sV` names it "Linux telnetd".
 */
const NEGOTIATION = new Uint8Array([
  IAC,
  0xfd,
  0x18,
  IAC,
  0xfd,
  0x20,
  IAC,
  0xfd,
  0x23,
  IAC,
  0xfd,
  0x27,
]);

type Negotiation = "data" | "iac" | "option" | "sub" | "sub-iac";

/**
 * Telnet before login. The prompt follows the client's first bytes (its answer to the
 * negotiation, usually), or another silence.
 */
export class TelnetDialog extends LineDialog {
  readonly protocol = "telnet";
  readonly #banner: string;
  #prompted = false;
  #awaiting: "login" | "password" = "login";
  #failures = 0;
  #negotiation: Negotiation = "data";

  /** @param site Where it runs. */
  constructor(site: DialogSite) {
    super();
    this.#banner = site.banner ?? TELNET_BANNER;
  }

  greeting(): Uint8Array {
    return NEGOTIATION.slice();
  }

  #prompt(): string {
    this.#prompted = true;
    return `${this.#banner}\r\n\r\nlogin: `;
  }

  onSilence(): Uint8Array | null {
    return this.#prompted ? null : ascii(this.#prompt());
  }

  override receive(bytes: Uint8Array): ReturnType<LineDialog["receive"]> {
    const prompt = this.#prompted ? "" : this.#prompt();
    const step = super.receive(bytes);
    if (prompt === "") return step;
    const reply = new Uint8Array(prompt.length + (step.reply?.length ?? 0));
    reply.set(ascii(prompt));
    if (step.reply !== null) reply.set(step.reply, prompt.length);
    return { ...step, reply };
  }

  /** Removes option negotiation (IAC sequences); CR NUL ends a line as CR LF does. */
  protected override text(bytes: Uint8Array): string {
    let text = "";
    for (const byte of bytes) {
      switch (this.#negotiation) {
        case "data":
          if (byte === IAC) this.#negotiation = "iac";
          else text += String.fromCharCode(byte);
          break;
        case "iac":
          if (byte === IAC) {
            text += "\xff";
            this.#negotiation = "data";
          } else if (byte === SB) this.#negotiation = "sub";
          else if (byte >= FIRST_OPTION_VERB) this.#negotiation = "option";
          else this.#negotiation = "data";
          break;
        case "option":
          this.#negotiation = "data";
          break;
        case "sub":
          if (byte === IAC) this.#negotiation = "sub-iac";
          break;
        case "sub-iac":
          this.#negotiation = byte === SE ? "data" : "sub";
          break;
      }
    }
    return text.replaceAll("\r\0", "\n");
  }

  protected answer(_line: string): LineAnswer {
    if (this.#awaiting === "login") {
      this.#awaiting = "password";
      return { text: "Password: " };
    }
    this.#awaiting = "login";
    this.#failures++;
    if (this.#failures >= TELNET_LOGIN_ATTEMPTS) {
      return { text: "\r\nLogin incorrect\r\n", end: true };
    }
    return { text: "\r\nLogin incorrect\r\nlogin: " };
  }
}
