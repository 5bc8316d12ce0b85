import { assert, assertEquals, assertFalse, assertThrows } from "../../testing/std.ts";
import {
  closeFd,
  isNonblocking,
  reopenNonblocking,
  WOULD_BLOCK,
  writeNonblocking,
} from "../../ffi/nonblocking_fd.ts";
import { ErrnoError } from "../../ffi/errno_error.ts";
import { ReadinessPoller } from "../../src/capture/readiness_poller.ts";
import { PollerWritability } from "../../src/output/writability.ts";
import { within } from "../_socket_fd.ts";

/** Linux's default pipe capacity, bytes. */
const PIPE_CAPACITY_BYTES = 65536;

/** A FIFO opened read-write by Deno (a blocking description, reader and writer at once). */
async function withFifo(
  body: (fd: number, file: Deno.FsFile, path: string) => Promise<void> | void,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "spip-fifo-" });
  const path = `${dir}/fifo`;
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert(made.success, "mkfifo");
  // O_RDWR never blocks on a FIFO, and keeps it open for both ends.
  const file = await Deno.open(path, { read: true, write: true });
  try {
    let fd: number | undefined;
    for await (const entry of Deno.readDir("/proc/self/fd")) {
      const link = await Deno.readLink(`/proc/self/fd/${entry.name}`).catch(() => "");
      if (link === path) fd = Number(entry.name);
    }
    assert(fd !== undefined, "the FIFO's fd");
    await body(fd, file, path);
  } finally {
    file.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("reopenNonblocking gives a FIFO a nonblocking description of its own", async () => {
  await withFifo((fd) => {
    assertFalse(isNonblocking(fd));
    const own = reopenNonblocking(fd);
    try {
      assert(isNonblocking(own));
      assertFalse(isNonblocking(fd), "O_NONBLOCK must not leak to the original description");
      const block = new Uint8Array(4096);
      let total = 0;
      for (let i = 0; i < 100; i++) {
        const n = writeNonblocking(own, block);
        if (n === WOULD_BLOCK) break;
        total += n;
      }
      assertEquals(total, PIPE_CAPACITY_BYTES, "writes stop with EAGAIN when the pipe is full");
      assertEquals(writeNonblocking(own, block), WOULD_BLOCK);
    } finally {
      closeFd(own);
    }
  });
});

Deno.test("PollerWritability wakes a writer of a full FIFO once the reader makes room", async () => {
  await withFifo(async (fd, file) => {
    const own = reopenNonblocking(fd);
    const poller = new ReadinessPoller();
    const writability = new PollerWritability(poller);
    try {
      const block = new Uint8Array(4096);
      while (writeNonblocking(own, block) !== WOULD_BLOCK) {
        // Fill the pipe.
      }
      let woken = false;
      const wait = writability.waitWritable(own).then(() => woken = true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assertFalse(woken, "no wake-up while the pipe stays full");
      const buffer = new Uint8Array(PIPE_CAPACITY_BYTES);
      let read = 0;
      while (read < 8192) read += (await file.read(buffer)) ?? 0;
      await within(wait, 1000, "the EPOLLOUT wake-up");
      assert(writeNonblocking(own, block) > 0);
      // A second wait on the same fd re-arms it; a writable fd answers at once.
      await within(writability.waitWritable(own), 1000, "a second wake-up");
    } finally {
      writability.close();
      closeFd(own);
      await poller.close();
    }
  });
});

Deno.test("writeNonblocking reports a closed fd as an ErrnoError", () => {
  assertThrows(() => writeNonblocking(987_654, new Uint8Array(1)), ErrnoError, "EBADF");
});
