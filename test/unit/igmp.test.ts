// Multicast Router Discovery bytes (src/kernel/igmp.ts): messages encoded as RFC 4286 lays them
// out, and datagrams captured from Linux decoded back; anything malformed is not a message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMrdiscDatagram, encodeMrdisc, internetChecksum } from '../../src/kernel/igmp.js';
import { formatAddr } from '../../src/model/addr.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Datagrams as a raw socket read them off a veth, sent by LinuxKernel.sendMrdisc (IP header, RA option, IGMP). */
const CAPTURED = {
  advertisement4: '460000200e9a40000102eb850a4d0001e000006a940400003004cffb00000000',
  termination: '4600001c0e9b40000102eb880a4d0001e000006a940400003200cdff',
  // An IGMPv3 membership report the same capture saw: IGMP, but no MRD message.
  report: '46c00028000040000102f9ab0a4d0001e0000016940400002200f9fb0000000104000000e0000002',
};

function datagram(h: string): Buffer {
  return Buffer.from(h, 'hex');
}

test('internetChecksum: RFC 1071 worked example, odd lengths pad with a zero byte', () => {
  const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
  assert.equal(internetChecksum(b, 0, b.length), 0x220d);
  assert.equal(internetChecksum(Uint8Array.of(0x12, 0x34, 0x56), 0, 3), ~(0x1234 + 0x5600) & 0xffff);
  assert.equal(internetChecksum(Uint8Array.of(9, 0xff, 0xff, 9), 1, 2), 0, 'offset and length are honoured');
});

test('encodeMrdisc: advertisement is 8 bytes (type 0x30, interval, checksum, query interval, robustness)', () => {
  assert.equal(hex(encodeMrdisc({ type: 'advertisement', interval: 20, queryInterval: 0, robustness: 0 })), '3014cfeb00000000');
  assert.equal(hex(encodeMrdisc({ type: 'advertisement', interval: 4, queryInterval: 0, robustness: 0 })), '3004cffb00000000');
  const full = encodeMrdisc({ type: 'advertisement', interval: 180, queryInterval: 125, robustness: 2 });
  assert.equal(hex(full.subarray(4)), '007d0002');
  assert.equal(internetChecksum(full, 0, full.length), 0, 'the checksum makes the message sum to zero');
});

test('encodeMrdisc: solicitation and termination are 4 bytes (type, reserved 0, checksum)', () => {
  assert.equal(hex(encodeMrdisc({ type: 'solicitation' })), '3100ceff');
  assert.equal(hex(encodeMrdisc({ type: 'termination' })), '3200cdff');
});

test('decodeMrdiscDatagram: what Linux put on the wire reads back, with the sender', () => {
  const adv = decodeMrdiscDatagram(datagram(CAPTURED.advertisement4), 32);
  assert.deepEqual(adv?.message, { type: 'advertisement', interval: 4, queryInterval: 0, robustness: 0 });
  assert.equal(adv && formatAddr(adv.from), '10.77.0.1');
  assert.deepEqual(decodeMrdiscDatagram(datagram(CAPTURED.termination), 28)?.message, { type: 'termination' });
});

test('decodeMrdiscDatagram: a solicitation without IP options, padded past its total length', () => {
  const ip = Buffer.from('4500001800000000010200000a4d0002e0000002', 'hex');
  const pkt = Buffer.concat([ip, encodeMrdisc({ type: 'solicitation' }), Buffer.alloc(6)]);
  pkt.writeUInt16BE(24, 2);
  const got = decodeMrdiscDatagram(pkt, pkt.length);
  assert.deepEqual(got?.message, { type: 'solicitation' });
  assert.equal(got && formatAddr(got.from), '10.77.0.2');
});

test('decodeMrdiscDatagram: other IGMP, other protocols and damaged datagrams are not messages', () => {
  const good = datagram(CAPTURED.advertisement4);
  const broken = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good);
    f(b);
    return b;
  };
  const cases: [string, Buffer, number][] = [
    ['IGMPv3 report', datagram(CAPTURED.report), 40],
    ['checksum off by one', broken((b) => (b[27] = 0xfc)), 32],
    ['not IGMP', broken((b) => (b[9] = 17)), 32],
    ['IPv6 version nibble', broken((b) => (b[0] = 0x66)), 32],
    ['header length below 20 bytes', broken((b) => (b[0] = 0x44)), 32],
    ['advertisement cut to 4 bytes', broken((b) => b.writeUInt16BE(28, 2)), 32],
    ['read shorter than an IP header', good, 19],
    ['unknown type 0x33', broken((b) => ((b[24] = 0x33), b.writeUInt16BE(0xccfb, 26))), 32],
  ];
  for (const [what, b, len] of cases) assert.equal(decodeMrdiscDatagram(b, len), undefined, what);
});
