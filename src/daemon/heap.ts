// Hands the garbage of a large configuration load back to the OS at once.
// Only acts when the launcher exposed V8's gc (bin/smcrouted does); never blocks the caller.

/**
 * Loading 50,000 routes leaves about half its heap as garbage (the parse,
 * the old state), and V8 left alone collects it about 10 s later. One full
 * collection right after the load, once the PID file is written, brings
 * the resident size down to what the routes need. Tests that run the daemon
 * in-process have no `gc` and skip it.
 */
export function compactSoon(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) setImmediate(gc);
}
