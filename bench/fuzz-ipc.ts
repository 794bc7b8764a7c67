// The long IPC fuzz run: a million request frames, valid and malformed mixed, from several
// clients at once against our bin/smcrouted in a network namespace. Reports frames/s, the
// daemon's memory before and after, unanswered frames and connection failures, and checks at
// the end that it still runs, answers, and shows the kernel's MFC as the kernel has it.
// Usage (root, after npm run build): node dist/bench/fuzz-ipc.js [--frames=N] [--seed=N] [--clients=N]
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { encodeRequest, HEADER_LEN } from '../src/ipc/codec.js';
import { withLab, type Lab } from '../test/lib/netns.js';
import { PROGRAMS } from '../test/lib/impls.js';
import { pollUntil } from '../test/lib/proc.js';
import { parseIpMrVif } from '../test/lib/procnet.js';
import { repoPath } from '../test/lib/paths.js';
import { buildStar, starPhyints } from '../test/lib/topology.js';
import { memoryKiB, mfcKey, NsView } from './lib/nsview.js';
import { rng, type Rng } from './lib/rng.js';
import { now, round, sleep } from './lib/timing.js';

const PLAN = 91;
const IIF = 'r0';
const OIFS = ['r1', 'r2'];

interface Params {
  frames: number;
  seed: number;
  clients: number;
}

function parseArgs(argv: readonly string[]): Params {
  const p: Params = { frames: 1_000_000, seed: 20240901, clients: 4 };
  for (const arg of argv) {
    const m = /^--(frames|seed|clients)=(\d+)$/.exec(arg);
    if (!m?.[1] || m[2] === undefined) throw new Error(`unknown argument ${arg}; see the header of bench/fuzz-ipc.ts`);
    p[m[1] as keyof Params] = Number(m[2]);
  }
  return p;
}

/** One connection's worth of requests, and how many answers must come back (unknown for raw garbage). */
interface Batch {
  bytes: Buffer;
  frames: number;
  answers: number | undefined;
}

/**
 * Frames whose words keep the daemon's state bounded (200 sources x 5 groups of routes, 64
 * groups of joins), so that a million of them measure the request path, not a growing table.
 */
class Requests {
  readonly kinds = new Map<string, number>();
  constructor(private readonly r: Rng) {}

  private count(kind: string): void {
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
  }

  private sg(): [string, string] {
    return [`10.${PLAN}.${1 + this.r.int(2)}.${1 + this.r.int(100)}`, `225.${PLAN}.0.${this.r.int(5)}`];
  }

  private oifs(): string[] {
    return OIFS.filter(() => this.r.chance(0.6));
  }

  /** A frame the decoder accepts; the command itself may still be refused. */
  private wellFormed(): Buffer {
    const r = this.r;
    const x = r.next();
    const frame = (kind: string, cmd: string, args: string[]) => {
      this.count(kind);
      return encodeRequest(cmd, args);
    };
    if (x < 0.2) return frame('add', 'a', [IIF, ...this.sg(), ...this.oifs()]);
    if (x < 0.34) return frame('remove', 'r', [IIF, ...this.sg(), ...(r.chance(0.5) ? this.oifs() : [])]);
    if (x < 0.46)
      return frame(r.chance(0.5) ? 'join' : 'leave', r.chance(0.5) ? 'j' : 'l', [r.pick(OIFS), `225.${PLAN}.1.${r.int(64)}`]);
    if (x < 0.5)
      return frame(
        'show',
        r.pick(['s', 'S', 'J']),
        r.chance(0.5) ? [] : [r.pick(['routes', 'groups', 'interfaces', 'pending', 'x'])],
      );
    if (x < 0.51) return frame('flush', 'F', []);
    if (x < 0.5105) return frame('reload', 'H', []);
    if (x < 0.75) {
      const [s, g] = this.sg();
      const bad: string[][] = [
        [IIF],
        [IIF, '300.1.1.1', g],
        ['nosuchif0', s, g, 'r1'],
        [IIF, s, `10.${PLAN}.0.1`, 'r1'],
        [IIF, 'fd00::1', g, 'r1'],
        [IIF, s, `${g}/40`, 'r1'],
        ['x'.repeat(40), s, g],
        [IIF, g, ...Array.from({ length: 33 }, (_, i) => `o${i}`)],
        [IIF, s, g, ''],
      ];
      return frame('refused', r.pick(['a', 'r', 'j', 'l']), r.pick(bad));
    }
    if (x < 0.85)
      return frame('unknown command', String.fromCharCode(r.pick([0x21, 0x3f, 0x5a, 0x7e, 0x01])), [
        `10.${PLAN}.9.${r.int(256)}`,
      ]);
    return frame(
      'binary words',
      r.pick(['a', 'r', 'j', 'l']),
      Array.from({ length: r.int(6) }, () => binaryWord(r)),
    );
  }

  /** A frame the decoder refuses, after which the server answers once and closes. */
  private malformed(): { bytes: Buffer; answers: number | undefined } {
    const r = this.r;
    const head = (len: bigint, code: number, count: number) => {
      const b = Buffer.alloc(HEADER_LEN);
      b.writeBigUInt64LE(len, 0);
      b.writeUInt16LE(code, 8);
      b.writeUInt16LE(count, 10);
      return b;
    };
    const x = r.int(6);
    const kinds = ['short length', 'long length', 'too many arguments', 'argument overrun', 'truncated', 'garbage'];
    this.count(kinds[x] ?? 'garbage');
    switch (x) {
      case 0:
        return { bytes: head(BigInt(r.int(HEADER_LEN)), 0x61, 0), answers: 1 };
      case 1:
        return { bytes: head(r.chance(0.5) ? 2n ** 64n - 1n : BigInt(1025 + r.int(100_000)), 0x61, 1), answers: 1 };
      case 2:
        return { bytes: Buffer.concat([head(40n, 0x61, 36 + r.int(1000)), Buffer.alloc(24)]), answers: 1 };
      case 3:
        return { bytes: Buffer.concat([head(24n, 0x61, 3), Buffer.from('r0\0abcdef')]), answers: 1 };
      case 4: {
        const whole = encodeRequest('a', [IIF, ...this.sg(), 'r1']);
        return { bytes: whole.subarray(0, 1 + r.int(whole.length - 1)), answers: 1 };
      }
      default:
        return { bytes: Buffer.from(Array.from({ length: 1 + r.int(64) }, () => r.int(256))), answers: undefined };
    }
  }

  batch(max: number): Batch {
    const n = 1 + this.r.int(max);
    const parts: Buffer[] = [];
    for (let i = 0; i < n - 1; i++) parts.push(this.wellFormed());
    if (this.r.chance(0.3)) {
      const bad = this.malformed();
      parts.push(bad.bytes);
      return { bytes: Buffer.concat(parts), frames: n, answers: bad.answers === undefined ? undefined : n };
    }
    parts.push(this.wellFormed());
    return { bytes: Buffer.concat(parts), frames: n, answers: n };
  }
}

/** Any bytes but NUL, decoded as the daemon will (invalid UTF-8 becomes U+FFFD). */
function binaryWord(r: Rng): string {
  return Buffer.from(Array.from({ length: r.int(24) }, () => 1 + r.int(255))).toString('utf8');
}

interface Outcome {
  bytes: number;
  answers: number;
  error?: string;
}

/** Sends one batch on its own connection and reads until the daemon closes it. */
function exchange(path: string, bytes: Buffer, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = net.createConnection({ path });
    let got = 0;
    let answers = 0;
    let error: string | undefined;
    const timer = setTimeout(() => {
      error = 'timeout';
      sock.destroy();
    }, timeoutMs);
    sock.on('data', (c: Buffer) => {
      got += c.length;
      for (let i = c.indexOf(0); i >= 0; i = c.indexOf(0, i + 1)) answers++;
    });
    sock.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: got, answers, ...(error !== undefined && { error }) });
    });
    sock.once('connect', () => {
      sock.end(bytes);
    });
  });
}

/** The kernel's IPv4 MFC as "S,G IIF > OIFS" from /proc, and as our daemon's `show` JSON says. */
function kernelAgrees(lab: Lab, view: NsView, ns: string, sock: string): { entries: number; same: boolean } {
  const vifs = new Map(parseIpMrVif(view.read('ip_mr_vif')).map((v) => [v.vif, v.name]));
  const fromProc = view
    .mfc()
    .filter((m) => m.resolved)
    .map(
      (m) =>
        `${m.key} ${vifs.get(m.iif)} > ${m.oifs
          .map((o) => vifs.get(o))
          .sort()
          .join(' ')}`,
    )
    .sort();
  const out = lab.exec(ns, PROGRAMS.ours.ctl, ['-u', sock, '-j', 'show', 'routes']);
  const shown = (
    JSON.parse(out.stdout) as { routes: { kernel: { source: string; group: string; iif: string; oifs: string[] }[] } }
  ).routes.kernel
    .map((k) => `${mfcKey(k.source, k.group)} ${k.iif} > ${[...k.oifs].sort().join(' ')}`)
    .sort();
  return { entries: fromProc.length, same: JSON.stringify(fromProc) === JSON.stringify(shown) };
}

async function main(): Promise<void> {
  const p = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces, multicast routing)');
  const result = await withLab(async (lab) => {
    const { rtr } = buildStar(lab, { net: PLAN, receivers: 2 });
    const view = await NsView.open(lab, rtr);
    const conf = lab.writeFile(
      'fuzz.conf',
      `${starPhyints(2)}mroute from ${IIF} group 225.${PLAN}.0.0/24 to r1\nmgroup from r1 group 225.${PLAN}.2.1\n`,
    );
    const sock = lab.path('fuzz.sock');
    const pid = lab.path('fuzz.pid');
    const log = lab.path('fuzz.log');
    writeFileSync(log, '');
    // The log goes to a file: a million refusals would not fit the harness's in-memory capture.
    const args = ['-n', '-c', '0', '-i', `smct-${lab.id}`, '-f', conf, '-u', sock, '-P', pid];
    const daemon = lab.spawn(rtr, 'sh', ['-c', 'log=$1; shift; exec "$@" 2>>"$log"', 'sh', log, PROGRAMS.ours.daemon, ...args], {
      label: 'smcrouted',
    });
    await pollUntil(() => [pid, sock].every(ready), {
      timeoutMs: 15_000,
      what: 'smcrouted ready',
      abort: () => (daemon.running ? undefined : `it exited: ${readFileSync(log, 'utf8')}`),
    });
    await sleep(500);
    const before = memoryKiB(daemon.pid);
    console.log(
      `smcrouted pid ${daemon.pid} ready, RSS ${before.rss} KiB; sending ${p.frames} frames from ${p.clients} clients, seed ${p.seed}`,
    );

    const req = new Requests(rng(p.seed));
    let sent = 0;
    let connections = 0;
    let answered = 0;
    let unanswered = 0;
    const failures = new Map<string, number>();
    const samples: { frames: number; s: number; rssKiB: number }[] = [];
    const t0 = now();
    let nextReport = 100_000;
    const client = async () => {
      while (sent < p.frames && daemon.running) {
        const b = req.batch(Math.min(100, p.frames - sent));
        sent += b.frames;
        connections++;
        const o = await exchange(sock, b.bytes, 30_000);
        answered += o.answers;
        if (o.error !== undefined) failures.set(o.error, (failures.get(o.error) ?? 0) + 1);
        if (b.answers !== undefined && o.answers < b.answers) unanswered += b.answers - o.answers;
        if (sent >= nextReport) {
          nextReport += 100_000;
          const s = (now() - t0) / 1000;
          const rssKiB = memoryKiB(daemon.pid).rss;
          samples.push({ frames: sent, s: round(s), rssKiB });
          console.log(`  ${sent} frames, ${round(s)} s, ${Math.round(sent / s)} frames/s, RSS ${rssKiB} KiB`);
        }
      }
    };
    await Promise.all(Array.from({ length: p.clients }, client));
    const seconds = (now() - t0) / 1000;
    const alive = daemon.running;
    await sleep(500);
    const after = alive ? memoryKiB(daemon.pid) : undefined;
    const show = lab.exec(rtr, PROGRAMS.ours.ctl, ['-u', sock, 'show', 'interfaces'], { check: false });
    const kernel = alive ? kernelAgrees(lab, view, rtr, sock) : undefined;
    const logLines = readFileSync(log, 'utf8').split('\n').length - 1;
    const stop = await daemon.stop('SIGTERM', 10_000);
    return {
      date: new Date().toISOString(),
      params: p,
      frames: sent,
      connections,
      seconds: round(seconds, 2),
      framesPerSecond: Math.round(sent / seconds),
      answers: answered,
      unanswered,
      connectionFailures: Object.fromEntries(failures),
      kinds: Object.fromEntries([...req.kinds].sort((a, b) => b[1] - a[1])),
      rssKiB: { before: before.rss, after: after?.rss, peak: after?.hwm },
      samples,
      alive,
      answersShow: show.status === 0,
      kernel,
      logLines,
      exit: stop,
    };
  });
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(repoPath('bench', 'results'), { recursive: true });
  const custom = process.argv.length > 2;
  const file = repoPath('bench', 'results', custom ? 'fuzz-ipc-custom.json' : 'fuzz-ipc.json');
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written to ${file}`);
  if (!result.alive || !result.answersShow || result.kernel?.same !== true || result.unanswered > 0) process.exitCode = 1;
}

/** A socket that exists, or a file with something in it (the PID file once written). */
function ready(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isSocket() || st.size > 0;
  } catch {
    return false;
  }
}

await main();
