/**
 * Every greeting dialog, by protocol name.
 *
 * @module
 */
import type { GreetProtocol } from "../config/greet.ts";
import type { Dialog, DialogSite } from "./dialog.ts";
import { FtpDialog } from "./ftp.ts";
import { SmtpDialog } from "./smtp.ts";
import { Pop3Dialog } from "./pop3.ts";
import { ImapDialog } from "./imap.ts";
import { TelnetDialog } from "./telnet.ts";
import { MysqlDialog } from "./mysql.ts";
import { VncDialog } from "./vnc.ts";
import { SshDialog } from "./ssh.ts";

export type { Dialog, DialogSite, DialogStep } from "./dialog.ts";
export { opensSsh } from "./hassh.ts";

const MAKERS: Readonly<Record<GreetProtocol, (site: DialogSite) => Dialog>> = {
  ftp: (site) => new FtpDialog(site),
  smtp: (site) => new SmtpDialog(site),
  pop3: (site) => new Pop3Dialog(site),
  imap: (site) => new ImapDialog(site),
  telnet: (site) => new TelnetDialog(site),
  mysql: (site) => new MysqlDialog(site),
  vnc: () => new VncDialog(),
  ssh: (site) => new SshDialog(site),
};

/**
 * Starts a dialog.
 *
 * @param protocol The protocol.
 * @param site Where it runs.
 * @returns The dialog, not yet greeted.
 */
export function createDialog(protocol: GreetProtocol, site: DialogSite): Dialog {
  return MAKERS[protocol](site);
}
