/**
 * Test helper: drives a dialog with text lines and collects its replies as text.
 *
 * @module
 */
import type { Dialog, DialogStep } from "../../src/greet/dialog.ts";

const latin1 = new TextDecoder("latin1");

/** Bytes from latin1 text: each character one byte. */
export function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** Feeds one read (latin1 text); returns the reply as latin1 text ("" for none) and the step. */
export function say(dialog: Dialog, text: string): { reply: string; step: DialogStep } {
  const step = dialog.receive(bytesOf(text));
  return { reply: step.reply === null ? "" : latin1.decode(step.reply), step };
}

/** The greeting as latin1 text. */
export function greeting(dialog: Dialog): string {
  return latin1.decode(dialog.greeting());
}

/** A dialog site with the built-in banner. */
export const SITE = { sourceIp: "192.0.2.9", banner: undefined } as const;
