// Multicast traffic tool run inside a namespace (`ip netns exec NS node mcast-tool.js SPEC`):
// "recv" joins groups and counts tokened datagrams per (source, group); "send" emits them.
// SPEC is JSON, or @FILE holding JSON. Protocol (stdout, one JSON object per line):
//   recv: {"event":"ready"} once joined; {"event":"report",...} for each "report" line on stdin;
//         {"event":"final",...} and exit 0 on stdin EOF or SIGTERM/SIGINT.
//   send: {"event":"sent","datagrams":N} and exit 0; any socket error exits 1.
import dgram from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { createInterface } from 'node:readline';

export interface RecvSpec {
  mode: 'recv';
  iface: string;
  port: number;
  token: string;
  /** One entry per join; several sources for one group make one socket with several SSM joins. */
  joins: { group: string; source?: string }[];
}

export interface SendSpec {
  mode: 'send';
  iface: string;
  port: number;
  token: string;
  groups: string[];
  /** Source addresses to bind, one socket each; absent = one socket, kernel-chosen source. */
  sources?: string[];
  /** Datagrams per (source, group). */
  count: number;
  ttl: number;
  intervalMs?: number;
  /** Sockets open at the same time when sending from many sources. */
  parallel?: number;
}

export interface FlowCount {
  source: string;
  group: string;
  count: number;
}

export interface RecvReport {
  event: 'report' | 'final';
  flows: FlowCount[];
  /** Datagrams on the joined ports without this run's token (other tests' traffic, noise). */
  stray: number;
}

/** The payload prefix receivers count on; anything else is stray. */
function payloadPrefix(token: string): string {
  return `smct ${token} `;
}

const isV6 = (a: string): boolean => a.includes(':');
const RCVBUF = 8 << 20;

function out(obj: object): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/** IPv4 sockets name interfaces by an address on them; IPv6 ones by "::%IFNAME". */
function ifaceSelector(iface: string, v6: boolean): string {
  // `ip netns exec` mounts this namespace's /sys; an unknown IPv6 scope name would silently mean "any".
  if (!existsSync(`/sys/class/net/${iface}`)) throw new Error(`no interface ${iface} in this namespace`);
  if (v6) return `::%${iface}`;
  const a = networkInterfaces()[iface]?.find((x) => x.family === 'IPv4');
  if (!a) throw new Error(`interface ${iface} has no IPv4 address; IPv4 joins and sends name the interface by one`);
  return a.address;
}

/** Link- and interface-local IPv6 groups need the interface as scope to bind. */
function bindAddr(group: string, iface: string): string {
  return /^ff[0-9a-f][12]:/i.test(group) ? `${group}%${iface}` : group;
}

function bindSocket(sock: dgram.Socket, port: number, address?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ port, address }, () => {
      sock.removeListener('error', reject);
      resolve();
    });
  });
}

async function recv(spec: RecvSpec): Promise<void> {
  const counts = new Map<string, FlowCount>();
  let stray = 0;
  const prefix = Buffer.from(payloadPrefix(spec.token));
  const byGroup = new Map<string, (string | undefined)[]>();
  for (const j of spec.joins) byGroup.set(j.group, [...(byGroup.get(j.group) ?? []), j.source]);

  const sockets: dgram.Socket[] = [];
  for (const [group, sources] of byGroup) {
    const v6 = isV6(group);
    // A large buffer (the kernel caps it at net.core.rmem_max): bursts from thousands of
    // sources must not overflow it before we read.
    const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: true, ipv6Only: v6, recvBufferSize: RCVBUF });
    sockets.push(sock);
    // Bound to the group itself, so this socket only sees datagrams sent to that group.
    await bindSocket(sock, spec.port, bindAddr(group, spec.iface));
    const ifSel = ifaceSelector(spec.iface, v6);
    for (const source of sources) {
      if (source === undefined) sock.addMembership(group, ifSel);
      else sock.addSourceSpecificMembership(source, group, ifSel);
    }
    sock.on('message', (msg, rinfo) => {
      if (msg.length < prefix.length || !msg.subarray(0, prefix.length).equals(prefix)) {
        stray++;
        return;
      }
      const key = `${rinfo.address} ${group}`;
      const c = counts.get(key) ?? { source: rinfo.address, group, count: 0 };
      c.count++;
      counts.set(key, c);
    });
  }

  const report = (event: RecvReport['event']): void => out({ event, flows: [...counts.values()], stray });
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    report('final');
    for (const s of sockets) s.close();
    process.exit(0);
  };
  process.on('SIGTERM', finish);
  process.on('SIGINT', finish);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (l) => {
    if (l.trim() === 'report') report('report');
  });
  rl.on('close', finish);
  out({ event: 'ready' });
}

function sendOne(sock: dgram.Socket, buf: Buffer, port: number, group: string): Promise<void> {
  return new Promise((resolve, reject) => sock.send(buf, port, group, (e) => (e ? reject(e) : resolve())));
}

async function sendFrom(spec: SendSpec, ifSel: string, source: string | undefined, seq: { n: number }): Promise<void> {
  const v6 = isV6(spec.groups[0]!);
  const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
  try {
    await bindSocket(sock, 0, source);
    sock.setMulticastInterface(ifSel);
    sock.setMulticastTTL(spec.ttl);
    sock.setMulticastLoopback(false);
    for (let i = 0; i < spec.count; i++) {
      for (const group of spec.groups) {
        await sendOne(sock, Buffer.from(`${payloadPrefix(spec.token)}${seq.n++}`), spec.port, group);
      }
      if (spec.intervalMs && i + 1 < spec.count) await new Promise((r) => setTimeout(r, spec.intervalMs));
    }
  } finally {
    sock.close();
  }
}

async function send(spec: SendSpec): Promise<void> {
  if (spec.groups.length === 0) throw new Error('send: no groups');
  const seq = { n: 0 };
  const sources: (string | undefined)[] = spec.sources ?? [undefined];
  // Looked up once: with thousands of addresses on the interface the lookup is not cheap.
  const ifSel = ifaceSelector(spec.iface, isV6(spec.groups[0]!));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sources.length) await sendFrom(spec, ifSel, sources[next++], seq);
  };
  // A small pool of sockets at a time: thousands of sources must not exhaust file descriptors.
  await Promise.all(Array.from({ length: Math.min(spec.parallel ?? 32, sources.length) }, worker));
  out({ event: 'sent', datagrams: seq.n });
}

function loadSpec(arg: string | undefined): RecvSpec | SendSpec {
  if (!arg) throw new Error('usage: mcast-tool.js SPEC-JSON | @SPEC-FILE');
  return JSON.parse(arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg) as RecvSpec | SendSpec;
}

async function main(): Promise<void> {
  const spec = loadSpec(process.argv[2]);
  if (spec.mode === 'recv') await recv(spec);
  else if (spec.mode === 'send') await send(spec);
  else throw new Error(`unknown mode ${(spec as { mode: string }).mode}`);
}

main().catch((e: Error) => {
  process.stderr.write(`mcast-tool: ${e.message}\n`);
  process.exit(1);
});
