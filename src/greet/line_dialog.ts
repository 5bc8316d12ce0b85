/**
 * The common part of line-based dialogs (FTP, SMTP, POP3, IMAP, Telnet): split the client's
 * bytes into lines, answer each, within bounds.
 *
 * @module
 */
import type { GreetProtocol } from "../config/greet.ts";
import { ascii, type Dialog, type DialogStep, MAX_REPLIES, NOTHING } from "./dialog.ts";

/** Longest line kept, in bytes; the rest of a longer line is dropped (it is still recorded). */
export const MAX_LINE_BYTES = 1024;

/** What a line-based dialog says to one line. */
export interface LineAnswer {
  /** The reply text (with its line ends), or null for none. */
  readonly text: string | null;
  /** Whether the dialog ends after it. */
  readonly end?: boolean;
}

const latin1 = new TextDecoder("latin1");

/**
 * A line-based dialog. Subclasses give the greeting and answer each line (without its CR LF).
 * A line longer than {@linkcode MAX_LINE_BYTES} is cut there. Lines after the dialog's end, or
 * past {@linkcode MAX_REPLIES} replies, get no answer.
 */
export abstract class LineDialog implements Dialog {
  abstract readonly protocol: GreetProtocol;
  #partial = "";
  #replies = 0;
  #ended = false;

  abstract greeting(): Uint8Array;

  /**
   * Answers one line.
   *
   * @param line The line, without CR LF, as latin1 text (each byte one character).
   * @returns The answer.
   */
  protected abstract answer(line: string): LineAnswer;

  /**
   * Turns the raw bytes into text before they are split into lines; Telnet removes its option
   * negotiation here.
   *
   * @param bytes The read.
   * @returns The text, latin1.
   */
  protected text(bytes: Uint8Array): string {
    return latin1.decode(bytes);
  }

  receive(bytes: Uint8Array): DialogStep {
    if (this.#ended) return NOTHING;
    const text = this.#partial + this.text(bytes);
    const lines = text.split("\n");
    const rest = lines.pop() ?? "";
    this.#partial = rest.length > MAX_LINE_BYTES ? rest.slice(0, MAX_LINE_BYTES) : rest;
    let reply = "";
    for (const raw of lines) {
      const line = (raw.endsWith("\r") ? raw.slice(0, -1) : raw).slice(0, MAX_LINE_BYTES);
      const answer = this.answer(line);
      if (answer.text !== null) {
        reply += answer.text;
        this.#replies++;
      }
      if (answer.end === true || this.#replies >= MAX_REPLIES) {
        this.#ended = true;
        break;
      }
    }
    return { reply: reply === "" ? null : ascii(reply), end: this.#ended, fields: null };
  }
}
