// A stand-in for systemd's notification socket: python3 binds a Unix datagram socket with
// SO_PASSCRED and prints each datagram with the sender's PID from SCM_CREDENTIALS. Asserts nothing.
import type { Lab } from './netns.js';
import type { Proc } from './proc.js';

/** One datagram as received: who sent it (the kernel's word, not the sender's), its assignments, when. */
export interface NotifyMessage {
  readonly pid: number | null;
  readonly text: string;
  readonly fields: ReadonlyMap<string, string>;
  /** CLOCK_MONOTONIC in µs when the listener read it. */
  readonly receivedUsec: bigint;
}

// With stop_on_ready the sender is stopped (SIGSTOP) before its first READY=1 is even printed, so
// the test sees the kernel as it was when READY=1 left, whatever the daemon would do next.
const SCRIPT = String.raw`
import json, os, signal, socket, struct, sys, time
name, stop_on_ready = sys.argv[1], sys.argv[2] == '1'
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(b'\0' + name[1:].encode() if name.startswith('@') else name.encode())
print(json.dumps({'listening': name}), flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    at = time.monotonic_ns() // 1000
    pid = None
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', data[:12])[0]
    text = msg.decode('utf-8', 'replace')
    if stop_on_ready and pid and 'READY=1' in text.split('\n'):
        os.kill(pid, signal.SIGSTOP)
        stop_on_ready = False
    print(json.dumps({'pid': pid, 'text': text, 'at': str(at)}), flush=True)
`;

export class NotifyListener {
  constructor(
    readonly socket: string,
    private readonly proc: Proc,
  ) {}

  /** Every datagram so far, in order. */
  messages(): NotifyMessage[] {
    return this.proc.lines.flatMap((line) => {
      const rec = JSON.parse(line) as { pid?: number | null; text?: string; at?: string };
      if (rec.text === undefined) return [];
      const fields = new Map<string, string>();
      for (const l of rec.text.split('\n')) {
        const eq = l.indexOf('=');
        if (eq > 0) fields.set(l.slice(0, eq), l.slice(eq + 1));
      }
      return [{ pid: rec.pid ?? null, text: rec.text, fields, receivedUsec: BigInt(rec.at ?? '0') }];
    });
  }

  /** Waits for the first datagram after the first `from` that sets KEY=VALUE; returns it with its index. */
  async waitFor(key: string, value: string, from = 0, timeoutMs = 10_000): Promise<[NotifyMessage, number]> {
    const has = (m: NotifyMessage) => m.fields.get(key) === value;
    await this.proc.waitForLine(() => this.messages().slice(from).some(has), timeoutMs);
    const all = this.messages();
    const i = all.findIndex((m, j) => j >= from && has(m));
    const hit = all[i];
    if (hit === undefined) throw new Error(`no ${key}=${value} after message ${from}`);
    return [hit, i];
  }

  describe(): string {
    return this.proc.describe();
  }
}

/**
 * Starts a listener inside `ns` (an abstract name, "@...", lives in the network namespace) and
 * waits until it is bound. `stopOnReady` stops the first sender of READY=1 (the test resumes it).
 */
export async function startNotifyListener(lab: Lab, ns: string, socket: string, stopOnReady = false): Promise<NotifyListener> {
  const proc = lab.spawn(ns, 'python3', ['-u', '-c', SCRIPT, socket, stopOnReady ? '1' : '0'], { label: 'notify listener' });
  await proc.waitForLine((l) => l.includes('"listening"'), 10_000);
  return new NotifyListener(socket, proc);
}
