// Sends UDP datagrams with forged IPv4 sources (raw socket, IP_HDRINCL) from inside a lab namespace, over
// prebuilt packets: back to back, or paced at a fixed rate. Destinations must be groups routed inside the lab.
import type { Lab } from '../../test/lib/netns.js';

/**
 * The sender: reads a JSON spec file, prebuilds every packet, then sends them back to back (rate 0) or
 * each at its own due time start + i/rate. Pacing spins on the clock rather than sleeping: the gaps
 * (50 us at 20,000/s) are below what time.sleep() can hit, and spinning keeps the rate the same whatever
 * the daemon under test does, as long as the sender keeps up; maxLag says whether it did.
 */
const FORGER = String.raw`
import json, socket, struct, sys, time
spec = json.load(open(sys.argv[1]))
iface, ttl, port, rounds, rate = spec["iface"], spec["ttl"], spec["port"], spec["rounds"], spec["rate"]
payload = b"smct-bench"
def packet(src, dst):
    udp = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload
    # id 0 and checksum 0: the kernel fills both in for IP_HDRINCL sockets.
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, ttl, socket.IPPROTO_UDP, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + udp
packets = [(packet(s, g), (g, 0)) for s, g in spec["flows"]]
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, struct.pack("=4s4si", bytes(4), bytes(4), socket.if_nametoindex(iface)))
sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
sent = errors = 0
max_lag = 0.0
clock = time.perf_counter
start = time.time()
t0 = clock()
if rate > 0:
    gap = 1.0 / rate
    i = 0
    for _ in range(rounds):
        for p, d in packets:
            due = t0 + i * gap
            t = clock()
            while t < due:
                t = clock()
            if t - due > max_lag:
                max_lag = t - due
            try:
                sock.sendto(p, d)
                sent += 1
            except OSError:
                errors += 1
            i += 1
else:
    for _ in range(rounds):
        for p, d in packets:
            try:
                sock.sendto(p, d)
                sent += 1
            except OSError:
                errors += 1
elapsed = clock() - t0
print(json.dumps({"sent": sent, "errors": errors, "seconds": elapsed, "startEpochMs": start * 1000,
                  "maxLagSeconds": max_lag}))
`;

export interface ForgeResult {
  sent: number;
  /** sendto() failures (e.g. ENOBUFS); those datagrams never left. */
  errors: number;
  /** Time spent in the send loop alone (packets are prebuilt). */
  seconds: number;
  /** Paced only (else 0): the latest any datagram left after its due time; large means the sender fell behind. */
  maxLagSeconds: number;
  /** Wall clock (ms since the epoch) when the first datagram went out. */
  startEpochMs: number;
}

let seq = 0;

/**
 * Sends `rounds` datagrams per [source, group] flow, in flow order, out of iface in ns; back to back,
 * or `rate` datagrams per second when rate is set.
 */
export async function forge(
  lab: Lab, ns: string, iface: string, flows: readonly (readonly [string, string])[],
  opts: { rounds?: number; ttl?: number; port?: number; rate?: number } = {},
): Promise<ForgeResult> {
  const n = ++seq;
  const script = lab.writeFile(`forge-${n}.py`, FORGER);
  const spec = lab.writeFile(`forge-${n}.json`, JSON.stringify({
    iface, flows, rounds: opts.rounds ?? 1, ttl: opts.ttl ?? 8, port: opts.port ?? 5001, rate: opts.rate ?? 0,
  }));
  const proc = lab.spawn(ns, 'python3', [script, spec], { label: `forge@${iface}` });
  const st = await proc.exited;
  const line = proc.lines.find((l) => l.startsWith('{'));
  if (st.code !== 0 || !line) throw new Error(`forger failed\n${proc.describe()}`);
  return JSON.parse(line) as ForgeResult;
}

/** The i-th (0-based) IPv4 address after base, as text; base is "a.b.c.d". */
export function v4Add(base: string, i: number): string {
  const n = (base.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) + i) >>> 0;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
