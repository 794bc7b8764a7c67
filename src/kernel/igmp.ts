// Multicast Router Discovery (RFC 4286) on the wire: messages as IGMP bytes, and IPv4 datagrams
// read from a raw IGMP socket back into messages. Pure: no sockets, no schedule, no policy.

import type { Addr } from '../model/addr.js';
import type { MrdiscMessage } from './types.js';

/** IGMP types RFC 4286 assigns for IPv4. */
export const MRDISC_TYPE = { advertisement: 0x30, solicitation: 0x31, termination: 0x32 } as const;

/** Advertisements and terminations go to All-Snoopers; solicitations to All-Routers. */
export const ALL_SNOOPERS: Addr = { family: 'inet', value: 0xe000006an };
export const ALL_ROUTERS: Addr = { family: 'inet', value: 0xe0000002n };

/** IP option Router Alert (RFC 2113), value 0: "examine this packet". */
export const ROUTER_ALERT = Uint8Array.of(0x94, 0x04, 0x00, 0x00);

const IPPROTO_IGMP = 2;
const ADVERTISEMENT_SIZE = 8;
/** Solicitations and terminations carry only type, a reserved byte and the checksum. */
const SHORT_SIZE = 4;

/** The Internet checksum (RFC 1071) of buf[off, off+len): ones' complement of the ones' complement sum. */
export function internetChecksum(buf: Uint8Array, off: number, len: number): number {
  let sum = 0;
  for (let i = 0; i + 1 < len; i += 2) sum += ((buf[off + i] ?? 0) << 8) | (buf[off + i + 1] ?? 0);
  if (len % 2 === 1) sum += (buf[off + len - 1] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The IGMP part of one message; the kernel adds the IP header. Field ranges
 * are the caller's to check (contract.ts does): they are written as they fit.
 */
export function encodeMrdisc(m: MrdiscMessage): Buffer {
  const buf = Buffer.alloc(m.type === 'advertisement' ? ADVERTISEMENT_SIZE : SHORT_SIZE);
  buf[0] = MRDISC_TYPE[m.type];
  if (m.type === 'advertisement') {
    buf[1] = m.interval;
    buf.writeUInt16BE(m.queryInterval, 4);
    buf.writeUInt16BE(m.robustness, 6);
  }
  buf.writeUInt16BE(internetChecksum(buf, 0, buf.length), 2);
  return buf;
}

/**
 * A datagram as a raw IGMP socket reads it (IPv4 header first), as the
 * sender and message; undefined for anything that is not a well-formed MRD
 * message: other IGMP, a bad header, a short message or a wrong checksum.
 */
export function decodeMrdiscDatagram(buf: Uint8Array, len: number): { from: Addr; message: MrdiscMessage } | undefined {
  if (len < 20 || buf.length < len) return undefined;
  const b = Buffer.from(buf.buffer, buf.byteOffset, len);
  const ihl = (b[0] ?? 0) & 0x0f;
  if ((b[0] ?? 0) >> 4 !== 4 || ihl < 5 || b[9] !== IPPROTO_IGMP) return undefined;
  const start = ihl * 4;
  // A datagram shorter than its header claims is cut; trailing bytes past it are padding.
  const end = Math.min(b.readUInt16BE(2), len);
  const size = end - start;
  if (size < SHORT_SIZE || internetChecksum(b, start, size) !== 0) return undefined;
  const from: Addr = { family: 'inet', value: BigInt(b.readUInt32BE(12)) };
  switch (b[start]) {
    case MRDISC_TYPE.advertisement:
      if (size < ADVERTISEMENT_SIZE) return undefined;
      return {
        from,
        message: {
          type: 'advertisement',
          interval: b[start + 1] ?? 0,
          queryInterval: b.readUInt16BE(start + 4),
          robustness: b.readUInt16BE(start + 6),
        },
      };
    case MRDISC_TYPE.solicitation:
      return { from, message: { type: 'solicitation' } };
    case MRDISC_TYPE.termination:
      return { from, message: { type: 'termination' } };
    default:
      return undefined;
  }
}
