/**
 * FTP (ProFTPD's words): `220`, `USER` -> `331`, `PASS` -> `530`, three failed logins, then
 * the end.
 *
 * @module
 */
import { ascii, type DialogSite, MAX_LOGIN_ATTEMPTS } from "./dialog.ts";
import { type LineAnswer, LineDialog } from "./line_dialog.ts";

/** The built-in banner: what `nmap -sV` reports as ProFTPD. */
export const FTP_BANNER = "ProFTPD 1.3.8 Server (Debian)";

/** FTP before login. */
export class FtpDialog extends LineDialog {
  readonly protocol = "ftp";
  readonly #banner: string;
  #user = false;
  #failures = 0;

  /** @param site Where it runs. */
  constructor(site: DialogSite) {
    super();
    this.#banner = site.banner ?? FTP_BANNER;
  }

  greeting(): Uint8Array {
    return ascii(`220 ${this.#banner}\r\n`);
  }

  protected answer(line: string): LineAnswer {
    const [verb = ""] = line.split(" ", 1);
    switch (verb.toUpperCase()) {
      case "USER":
        this.#user = true;
        return { text: "331 Password required\r\n" };
      case "PASS":
        if (!this.#user) return { text: "503 Login with USER first\r\n" };
        this.#user = false;
        this.#failures++;
        return { text: "530 Login incorrect.\r\n", end: this.#failures >= MAX_LOGIN_ATTEMPTS };
      case "QUIT":
        return { text: "221 Goodbye.\r\n", end: true };
      case "SYST":
        return { text: "215 UNIX Type: L8\r\n" };
      case "FEAT":
        return { text: "211-Features:\r\n MDTM\r\n SIZE\r\n UTF8\r\n211 End\r\n" };
      case "NOOP":
        return { text: "200 NOOP command successful\r\n" };
      case "AUTH":
        return { text: "500 AUTH not understood\r\n" };
      case "":
        return { text: null };
      default:
        return { text: "530 Please login with USER and PASS\r\n" };
    }
  }
}
