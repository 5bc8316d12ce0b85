/**
 * VNC (RFB 3.8): the version, VNC authentication offered, a challenge, then "Authentication
 * failed". The client's 16-byte DES response to the challenge is recorded.
 *
 * @module
 */
import { ascii, type Dialog, type DialogStep } from "./dialog.ts";

/** The server's version line; `nmap -sV` names it "VNC (protocol 3.8)". */
export const RFB_VERSION = "RFB 003.008\n";

const VERSION_BYTES = 12;
const SECURITY_VNC_AUTH = 2;
const CHALLENGE_BYTES = 16;
const FAILURE = "Authentication failed";

type State = "version" | "security-type" | "response" | "done";

/** The bytes a step needs, by state. */
const NEEDED: Readonly<Record<State, number>> = {
  "version": VERSION_BYTES,
  "security-type": 1,
  "response": CHALLENGE_BYTES,
  "done": 0,
};

function challenge(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(CHALLENGE_BYTES));
}

/** SecurityResult "failed", with the reason RFB 3.8 adds. */
function failure(withReason: boolean): Uint8Array {
  const reason = ascii(FAILURE);
  const out = new Uint8Array(4 + (withReason ? 4 + reason.length : 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, 1);
  if (withReason) {
    view.setUint32(4, reason.length);
    out.set(reason, 8);
  }
  return out;
}

/** VNC before authentication. */
export class VncDialog implements Dialog {
  readonly protocol = "vnc";
  #state: State = "version";
  #held = new Uint8Array(0);
  /** RFB 3.3 has the server choose the security type and sends no failure reason. */
  #v33 = false;

  greeting(): Uint8Array {
    return ascii(RFB_VERSION);
  }

  receive(bytes: Uint8Array): DialogStep {
    if (this.#state === "done") return { reply: null, end: true, fields: null };
    const need = NEEDED[this.#state];
    const joined = new Uint8Array(Math.min(need, this.#held.length + bytes.length));
    joined.set(this.#held.subarray(0, joined.length));
    joined.set(bytes.subarray(0, joined.length - this.#held.length), this.#held.length);
    if (joined.length < need) {
      this.#held = joined;
      return { reply: null, end: false, fields: null };
    }
    // The client waits for each answer, so what follows a step's bytes is not expected.
    this.#held = new Uint8Array(0);
    switch (this.#state) {
      case "version": {
        const text = new TextDecoder("latin1").decode(joined);
        if (!/^RFB 003\.00[3-8]\n$/.test(text)) return this.#end(null);
        if (text === "RFB 003.003\n") {
          this.#v33 = true;
          this.#state = "response";
          const reply = new Uint8Array(4 + CHALLENGE_BYTES);
          new DataView(reply.buffer).setUint32(0, SECURITY_VNC_AUTH);
          reply.set(challenge(), 4);
          return { reply, end: false, fields: null };
        }
        this.#state = "security-type";
        return { reply: new Uint8Array([1, SECURITY_VNC_AUTH]), end: false, fields: null };
      }
      case "security-type":
        if (joined[0] !== SECURITY_VNC_AUTH) return this.#end(failure(true));
        this.#state = "response";
        return { reply: challenge(), end: false, fields: null };
      case "response":
        return this.#end(failure(!this.#v33));
    }
  }

  #end(reply: Uint8Array | null): DialogStep {
    this.#state = "done";
    return { reply, end: true, fields: null };
  }
}
