import { assert, assertEquals, assertMatch } from "../../testing/std.ts";
import { FtpDialog } from "../../src/greet/ftp.ts";
import { Pop3Dialog } from "../../src/greet/pop3.ts";
import { ImapDialog } from "../../src/greet/imap.ts";
import { SmtpDialog } from "../../src/greet/smtp.ts";
import { TelnetDialog } from "../../src/greet/telnet.ts";
import { MAX_REPLIES } from "../../src/greet/dialog.ts";
import { greeting, say, SITE } from "./_dialog.ts";

Deno.test("FTP: 220, USER -> 331, PASS -> 530, the third failure ends; QUIT ends", () => {
  const ftp = new FtpDialog(SITE);
  assertEquals(greeting(ftp), "220 ProFTPD 1.3.8 Server (Debian)\r\n");
  assertEquals(say(ftp, "PASS x\r\n").reply, "503 Login with USER first\r\n");
  assertEquals(say(ftp, "USER root\r\n").reply, "331 Password required\r\n");
  assertEquals(say(ftp, "PASS a\r\n").reply, "530 Login incorrect.\r\n");
  // Pipelined and split lines are answered line by line.
  assertEquals(say(ftp, "USER root\r\nPA").reply, "331 Password required\r\n");
  assertEquals(say(ftp, "SS b\r\n").step.end, false);
  const last = say(ftp, "USER r\r\nPASS c\r\nUSER ignored\r\n");
  assertEquals(last.reply, "331 Password required\r\n530 Login incorrect.\r\n");
  assert(last.step.end);
  assertEquals(say(ftp, "USER again\r\n").reply, "");
  const quit = new FtpDialog({ ...SITE, banner: "FTP ready" });
  assertEquals(greeting(quit), "220 FTP ready\r\n");
  assertEquals(say(quit, "SYST\r\nQUIT\r\n").reply, "215 UNIX Type: L8\r\n221 Goodbye.\r\n");
});

Deno.test("line dialogs answer at most MAX_REPLIES lines, however many are pipelined", () => {
  const ftp = new FtpDialog(SITE);
  const flood = say(ftp, "NOOP\r\n".repeat(1000));
  assertEquals(flood.reply, "200 NOOP command successful\r\n".repeat(MAX_REPLIES));
  assert(flood.step.end);
  // A line without end is kept only up to its bound.
  const pop = new Pop3Dialog(SITE);
  assertEquals(say(pop, "X".repeat(100_000)).reply, "");
  assertEquals(say(pop, "\r\nQUIT\r\n").reply, "-ERR Unknown command.\r\n+OK Logging out.\r\n");
});

Deno.test("POP3: +OK, CAPA offers USER only, USER/PASS -> -ERR", () => {
  const pop = new Pop3Dialog(SITE);
  assertEquals(greeting(pop), "+OK Dovecot ready.\r\n");
  assertMatch(say(pop, "CAPA\r\n").reply, /^\+OK\r\n(?:.*\r\n)*USER\r\n\.\r\n$/);
  assertEquals(say(pop, "USER bob\r\n").reply, "+OK\r\n");
  assertEquals(say(pop, "PASS pw\r\n").reply, "-ERR [AUTH] Authentication failed.\r\n");
});

Deno.test("IMAP: * OK with capabilities, LOGIN -> NO, literals, AUTHENTICATE, LOGOUT", () => {
  const imap = new ImapDialog(SITE);
  assertMatch(greeting(imap), /^\* OK \[CAPABILITY IMAP4rev1 [^\]]*\] Dovecot ready\.\r\n$/);
  assertMatch(say(imap, "A1 CAPABILITY\r\n").reply, /^\* CAPABILITY .*\r\nA1 OK /);
  assertEquals(
    say(imap, "A2 LOGIN carol secret\r\n").reply,
    "A2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n",
  );
  assertEquals(say(imap, "A3 LOGIN {5}\r\n").reply, "+ OK\r\n");
  assertEquals(
    say(imap, 'carol "pw"\r\n').reply,
    "A3 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n",
  );
  assertEquals(say(imap, "A4 AUTHENTICATE PLAIN\r\n").reply, "+ \r\n");
  const last = say(imap, "AGNhcm9sAHB3\r\n");
  assertEquals(last.reply, "A4 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
  assert(last.step.end);
  assertEquals(
    say(new ImapDialog(SITE), "bad{tag} NOOP\r\n").reply,
    "* BAD Error in IMAP command received by server.\r\n",
  );
  assertMatch(
    say(new ImapDialog(SITE), "z LOGOUT\r\n").reply,
    /^\* BYE .*\r\nz OK Logout completed\.\r\n$/,
  );
});

Deno.test("SMTP: EHLO, AUTH LOGIN and PLAIN refused, a message accepted, QUIT", () => {
  const smtp = new SmtpDialog(SITE);
  assertEquals(greeting(smtp), "220 mail.localdomain ESMTP Postfix (Debian/GNU)\r\n");
  assertMatch(
    say(smtp, "EHLO x\r\n").reply,
    /^250-mail\.localdomain\r\n(?:250-.*\r\n)*250 SMTPUTF8\r\n$/,
  );
  assertEquals(say(smtp, "AUTH LOGIN\r\n").reply, "334 VXNlcm5hbWU6\r\n");
  assertEquals(say(smtp, "ZGF2ZQ==\r\n").reply, "334 UGFzc3dvcmQ6\r\n");
  assertMatch(say(smtp, "cHc=\r\n").reply, /^535 /);
  assertMatch(say(smtp, "AUTH PLAIN AGRhdmUAcHc=\r\n").reply, /^535 /);
  assertEquals(
    say(smtp, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n").reply,
    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n",
  );
  // The body gets no answer until its end; a line "QUIT" inside it is body text.
  assertEquals(say(smtp, "Subject: x\r\n\r\nQUIT\r\n").reply, "");
  assertMatch(say(smtp, ".\r\n").reply, /^250 2\.0\.0 Ok: queued as [0-9A-F]{10}\r\n$/);
  const quit = say(smtp, "QUIT\r\n");
  assertEquals(quit.reply, "221 2.0.0 Bye\r\n");
  assert(quit.step.end);
});

Deno.test("Telnet: negotiation, then login:, Password:, Login incorrect, and the end", () => {
  const telnet = new TelnetDialog(SITE);
  assertEquals(greeting(telnet), "\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27");
  // The client's answer to the negotiation brings the prompt; IAC sequences are not text.
  assertEquals(
    say(telnet, "\xff\xfc\x18\xff\xfa\x18\x00xterm\xff\xf0").reply,
    "Debian GNU/Linux 12\r\n\r\nlogin: ",
  );
  assertEquals(say(telnet, "ro\xff\xfb").reply, "");
  assertEquals(say(telnet, "\x01").reply, "");
  assertEquals(say(telnet, "ot\r\0").reply, "Password: ");
  const last = say(telnet, "toor\r\n");
  assertEquals(last.reply, "\r\nLogin incorrect\r\n");
  assert(last.step.end);
  // A client that stays silent is prompted once.
  const quiet = new TelnetDialog(SITE);
  assertEquals(
    new TextDecoder().decode(quiet.onSilence() ?? new Uint8Array()),
    "Debian GNU/Linux 12\r\n\r\nlogin: ",
  );
  assertEquals(quiet.onSilence(), null);
  assertEquals(say(quiet, "admin\r\n").reply, "Password: ");
});
