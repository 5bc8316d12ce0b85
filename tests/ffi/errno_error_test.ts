import { assertEquals, assertStrictEquals, assertThrows } from "../../testing/std.ts";
import { check, Errno, ErrnoError, errnoName } from "../../ffi/errno_error.ts";
import { Errno as ConstantsErrno } from "../../ffi/constants.ts";
import { libc } from "../../ffi/libc.ts";
import { Epoll } from "../../ffi/epoll.ts";
import { setIntOption } from "../../ffi/socket.ts";
import { SO_REUSEADDR, SOL_SOCKET } from "../../ffi/constants.ts";

Deno.test("check() returns a non-negative result unchanged", () => {
  assertStrictEquals(check(0, "x"), 0);
  assertStrictEquals(check(7, "x"), 7);
  assertStrictEquals(check(2 ** 31 - 1, "x"), 2 ** 31 - 1);
});

Deno.test("check() turns -1 from a real call into an ErrnoError carrying the call's errno", () => {
  const error = assertThrows(() => check(libc().listen(-1, 1), "listen on fd -1"), ErrnoError);
  assertEquals(error.errno, Errno.EBADF);
  assertEquals(error.code, "EBADF");
  assertEquals(error.name, "ErrnoError");
  assertEquals(error.message, "Cannot listen on fd -1: EBADF");
});

Deno.test("check() reads the errno of the call just made, not of an earlier one", () => {
  assertThrows(() => check(libc().close(-1), "close(-1)"), ErrnoError, "EBADF");
  const epoll = new Epoll(1);
  try {
    // An epoll fd is a valid fd but not a socket: ENOTSOCK, not the EBADF left before.
    const error = assertThrows(
      () => setIntOption(epoll.fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR"),
      ErrnoError,
    );
    assertEquals(error.errno, Errno.ENOTSOCK);
    assertEquals(error.message, "Cannot setsockopt(SO_REUSEADDR): ENOTSOCK");
  } finally {
    epoll.close();
  }
});

Deno.test("errnoName() names every value in Errno, and numbers the others", () => {
  for (const [name, value] of Object.entries(Errno)) assertEquals(errnoName(value), name);
  assertEquals(errnoName(Errno.EAGAIN), "EAGAIN");
  assertEquals(errnoName(0), "errno 0");
  assertEquals(errnoName(4095), "errno 4095");
  assertEquals(new ErrnoError("do it", 4095).message, "Cannot do it: errno 4095");
});

Deno.test("Errno has one name per value and is the table from ffi/constants.ts", () => {
  assertStrictEquals(Errno, ConstantsErrno);
  const values = Object.values(Errno);
  assertEquals(new Set(values).size, values.length);
});
