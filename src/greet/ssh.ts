/**
 * SSH: the server's identification string, then the client's KEXINIT is read and fingerprinted
 * (HASSH), and the dialog ends: Spip does no key exchange.
 *
 * @module
 */
import { ascii, type Dialog, type DialogSite, type DialogStep } from "./dialog.ts";
import { hassh, SshOpeningReader } from "./hassh.ts";

/** The built-in identification, after `SSH-2.0-`: Debian 12's OpenSSH. */
export const SSH_SOFTWARE = "OpenSSH_9.2p1 Debian-2+deb12u3";

/** SSH before key exchange. */
export class SshDialog implements Dialog {
  readonly protocol = "ssh";
  readonly #software: string;
  readonly #reader = new SshOpeningReader();
  #ended = false;

  /** @param site Where it runs. */
  constructor(site: DialogSite) {
    this.#software = site.banner ?? SSH_SOFTWARE;
  }

  greeting(): Uint8Array {
    return ascii(`SSH-2.0-${this.#software}\r\n`);
  }

  receive(bytes: Uint8Array): DialogStep {
    if (this.#ended) return { reply: null, end: true, fields: null };
    const opening = this.#reader.push(bytes);
    if (opening.kind === "wait") return { reply: null, end: false, fields: null };
    this.#ended = true;
    if (opening.kind === "invalid") return { reply: null, end: true, fields: null };
    const print = hassh(opening.kexinit);
    return {
      reply: null,
      end: true,
      fields: { hassh: print.hash, hassh_algorithms: print.algorithms },
    };
  }
}
