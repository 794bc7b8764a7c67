// Router discovery (RFC 4286) on the wire, for kernel tests: python3 captures IGMP off a link with an
// AF_PACKET socket and sends solicitations; the capture is decoded here, on its own (not with src/).
import type { Lab } from './netns.js';
import type { Proc } from './proc.js';

/** Prints {"ready":true} once bound, then one {"out":bool,"hex":...} line per IPv4 IGMP packet on argv[1]. */
const CAPTURE_PY = String.raw`
import binascii, json, socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
s.bind((sys.argv[1], 0))
print(json.dumps({"ready": True}), flush=True)
while True:
    data, addr = s.recvfrom(65535)
    if len(data) >= 20 and data[9] == 2:
        print(json.dumps({"out": addr[2] == socket.PACKET_OUTGOING, "hex": binascii.hexlify(data).decode()}), flush=True)
`;

/** Sends one MRD solicitation (IGMP 0x31, TTL 1, Router Alert) out of argv[1] to argv[2] (default All-Routers). */
const SOLICIT_PY = String.raw`
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IGMP)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[1].encode())
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([0x94, 4, 0, 0]))
total = 0x3100
s.sendto(struct.pack("!BBH", 0x31, 0, ~total & 0xffff), (sys.argv[2] if len(sys.argv) > 2 else "224.0.0.2", 0))
`;

/** The command, to run inside a namespace, that sends one solicitation out of `ifname`. */
export function solicitCommand(ifname: string, dest?: string): { cmd: string; args: string[] } {
  return { cmd: 'python3', args: ['-c', SOLICIT_PY, ifname, ...(dest ? [dest] : [])] };
}

/** One captured IPv4 IGMP packet, read field by field. */
export interface IgmpPacket {
  readonly out: boolean;
  readonly src: string;
  readonly dst: string;
  readonly ttl: number;
  /** An IP Router Alert option (type 148, length 4) is present. */
  readonly routerAlert: boolean;
  readonly type: number;
  /** The second IGMP byte: an advertisement's interval. */
  readonly code: number;
  readonly length: number;
  /** The 16-bit words of the IGMP message and its checksum sum to 0xffff. */
  readonly checksumOk: boolean;
  /** Bytes 4..7 of an advertisement: query interval, robustness variable. */
  readonly queryInterval?: number;
  readonly robustness?: number;
}

function dotted(b: Buffer, off: number): string {
  return [0, 1, 2, 3].map((i) => b[off + i] ?? 0).join('.');
}

/** Reads the IP header, its options and the IGMP part of a captured packet. */
export function readIgmp(hex: string, out: boolean): IgmpPacket {
  const b = Buffer.from(hex, 'hex');
  const hlen = ((b[0] ?? 0) & 0x0f) * 4;
  let routerAlert = false;
  for (let o = 20; o < hlen;) {
    const kind = b[o] ?? 0;
    if (kind === 0) break; // end of options
    if (kind === 1) {
      o++; // no-op
      continue;
    }
    const len = b[o + 1] ?? 0;
    if (kind === 148 && len === 4) routerAlert = true;
    o += Math.max(len, 2);
  }
  const igmp = b.subarray(hlen, b.readUInt16BE(2));
  let sum = 0;
  for (let i = 0; i < igmp.length; i += 2) sum += ((igmp[i] ?? 0) << 8) + (igmp[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return {
    out,
    src: dotted(b, 12),
    dst: dotted(b, 16),
    ttl: b[8] ?? -1,
    routerAlert,
    type: igmp[0] ?? -1,
    code: igmp[1] ?? -1,
    length: igmp.length,
    checksumOk: sum === 0xffff,
    ...(igmp.length >= 8 && { queryInterval: igmp.readUInt16BE(4), robustness: igmp.readUInt16BE(6) }),
  };
}

/** MRD types (RFC 4286, IPv4). */
export const MRD = { advertisement: 0x30, solicitation: 0x31, termination: 0x32 } as const;

/** A running capture of the IGMP packets on one link of a lab namespace. */
export class IgmpCapture {
  private constructor(readonly proc: Proc) {}

  static async start(lab: Lab, ns: string, ifname: string): Promise<IgmpCapture> {
    const proc = lab.spawn(ns, 'python3', ['-u', '-c', CAPTURE_PY, ifname], { label: `capture ${ifname}` });
    await proc.waitForLine((l) => l.includes('"ready"'), 10_000);
    return new IgmpCapture(proc);
  }

  /** Packets captured so far, in arrival order. */
  packets(): IgmpPacket[] {
    return this.proc.lines
      .filter((l) => l.includes('"hex"'))
      .map((l) => {
        const j = JSON.parse(l) as { out: boolean; hex: string };
        return readIgmp(j.hex, j.out);
      });
  }

  /** Packets of one IGMP type that arrived on the link (not sent from it). */
  received(type: number): IgmpPacket[] {
    return this.packets().filter((p) => !p.out && p.type === type);
  }
}
