// Sends fixed-size UDP multicast datagrams from given source addresses (run in a peer namespace:
// `node kernel-sender.js SPEC-JSON`); exits 0 once every datagram is handed to the kernel.
import dgram from 'node:dgram';

export interface SenderSpec {
  /** Outgoing interface; IPv4 sources must be addresses on it. */
  iface: string;
  sources: string[];
  group: string;
  /** Datagrams per source. */
  count: number;
  /** UDP payload bytes per datagram. */
  payload: number;
}

const PORT = 5001;
const TTL = 8;
/** Sockets open at once: thousands of sources must not exhaust descriptors. */
const PARALLEL = 32;

async function sendFrom(spec: SenderSpec, source: string): Promise<void> {
  const v6 = source.includes(':');
  const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: source, port: 0 }, () => {
        sock.removeListener('error', reject);
        resolve();
      });
    });
    // IPv4 names the interface by an address on it, IPv6 by scope.
    sock.setMulticastInterface(v6 ? `::%${spec.iface}` : source);
    sock.setMulticastTTL(TTL);
    sock.setMulticastLoopback(false);
    const buf = Buffer.alloc(spec.payload, 0x5a);
    for (let i = 0; i < spec.count; i++) {
      await new Promise<void>((resolve, reject) => sock.send(buf, PORT, spec.group, (e) => (e ? reject(e) : resolve())));
    }
  } finally {
    sock.close();
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as SenderSpec;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < spec.sources.length) await sendFrom(spec, spec.sources[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, spec.sources.length) }, worker));
}

main().catch((e: Error) => {
  process.stderr.write(`kernel-sender: ${e.message}\n`);
  process.exit(1);
});
