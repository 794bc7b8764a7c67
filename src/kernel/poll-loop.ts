// Waits for readable fds without blocking the event loop: one poll(2) at a time on a worker thread,
// interrupted by a self-pipe. Only signals readiness; the owner reads, on the main thread.

import * as ffi from './ffi.js';
import { O_CLOEXEC, O_NONBLOCK, POLLIN, POLLFD_SIZE } from './structs.js';

/** Upper bound on one poll(2); the self-pipe makes it a safety net only. */
const POLL_TIMEOUT_MS = 2000;

export class PollLoop {
  private fds: readonly number[] = [];
  private inFlight = false;
  private stopped = false;
  private readonly wakeRead: number;
  private wakeWrite: number;
  private readonly scratch = Buffer.alloc(64);
  private readonly wakeByte = Buffer.from([1]);

  /** `onReady` runs on the main thread after every poll that returned. */
  constructor(private readonly onReady: () => void) {
    [this.wakeRead, this.wakeWrite] = ffi.pipe(O_NONBLOCK | O_CLOEXEC);
  }

  /** Replaces the watched set; an empty set lets the process exit. */
  watch(fds: readonly number[]): void {
    if (this.stopped) return;
    this.fds = fds;
    if (this.inFlight) this.wake();
    else this.arm();
  }

  /** Ends the loop; safe to call more than once. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.fds = [];
    if (this.inFlight) {
      // The worker still polls the read end; it is closed when poll returns.
      this.wake();
      ffi.close(this.wakeWrite);
    } else {
      ffi.close(this.wakeWrite);
      ffi.close(this.wakeRead);
    }
    this.wakeWrite = -1;
  }

  private wake(): void {
    if (this.wakeWrite >= 0) ffi.write(this.wakeWrite, this.wakeByte);
  }

  private arm(): void {
    if (this.stopped || this.inFlight || this.fds.length === 0) return;
    const all = [this.wakeRead, ...this.fds];
    // A fresh array per poll: the worker thread owns it until the callback.
    const pollfds = Buffer.alloc(all.length * POLLFD_SIZE);
    all.forEach((fd, i) => {
      pollfds.writeInt32LE(fd, i * POLLFD_SIZE);
      pollfds.writeInt16LE(POLLIN, i * POLLFD_SIZE + 4);
    });
    this.inFlight = true;
    ffi.pollAsync(pollfds, all.length, POLL_TIMEOUT_MS, () => this.returned());
  }

  private returned(): void {
    this.inFlight = false;
    if (this.stopped) {
      ffi.close(this.wakeRead);
      return;
    }
    while (ffi.read(this.wakeRead, this.scratch) > 0);
    try {
      this.onReady();
    } finally {
      this.arm();
    }
  }
}
