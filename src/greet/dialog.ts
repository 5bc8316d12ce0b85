/**
 * What every greeting dialog is: a first message, and a reply to what the client sends.
 *
 * @module
 */
import type { GreetProtocol } from "../config/greet.ts";

/** Fields a dialog adds to the record of the read it just handled. */
export type DialogFields = Readonly<Record<string, unknown>>;

/** What a dialog makes of one read. */
export interface DialogStep {
  /** Bytes to send back, or null for none. */
  readonly reply: Uint8Array | null;
  /** Whether the dialog is over: after the reply, Spip closes its side. */
  readonly end: boolean;
  /** Fields for the read's record (such as `hassh`), or null. */
  readonly fields: DialogFields | null;
}

/**
 * One session's scripted server side. Every reply is short and built from fixed text (at most a
 * bounded, cleaned echo of the client's words), and a dialog ends after a handful of replies.
 */
export interface Dialog {
  /** The protocol, as `config.toml` names it. */
  readonly protocol: GreetProtocol;
  /**
   * The server's first message.
   *
   * @returns The bytes to send when the dialog starts.
   */
  greeting(): Uint8Array;
  /**
   * Handles one read from the client.
   *
   * @param bytes The read, as received; not kept.
   * @returns What to send back, and whether the dialog is over.
   */
  receive(bytes: Uint8Array): DialogStep;
  /**
   * Called once when the client stays silent for another `after` after the greeting.
   *
   * @returns Bytes to send (a prompt), or null.
   */
  onSilence?(): Uint8Array | null;
}

/** Where a dialog runs, for the few replies that mention it. */
export interface DialogSite {
  /** The client's address. */
  readonly sourceIp: string;
  /** A replacement for the built-in banner text, or undefined. */
  readonly banner: string | undefined;
}

/** Failed logins a dialog accepts before it ends, like servers' own limits (vsftpd: 3). */
export const MAX_LOGIN_ATTEMPTS = 3;

/** Replies a dialog sends at most (the greeting not counted); then it ends. */
export const MAX_REPLIES = 16;

const encoder = new TextEncoder();

/**
 * Encodes reply text.
 *
 * @param text The text, ASCII.
 * @returns Its bytes.
 */
export function ascii(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A step with nothing to send. */
export const NOTHING: DialogStep = { reply: null, end: false, fields: null };

/**
 * A word the client sent, cleaned to be echoed back: printable ASCII without quotes, at most 32
 * characters.
 *
 * @param word The client's text.
 * @returns The cleaned text.
 */
export function echoable(word: string): string {
  return word.replace(/[^\x21-\x7e]|['"\\]/g, "").slice(0, 32);
}
