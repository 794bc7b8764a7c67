// The kernel floor, run inside a lab namespace: MRT_INIT, two VIFs, then a bare loop of N MRT_ADD_MFC
// calls through our own libc binding (src/kernel/ffi.ts), no daemon logic. Prints one JSON line.
// Usage: node dist/bench/lib/mfc-floor.js N IIF OIF
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ifNameIndex, setsockopt, socket, close } from '../../src/kernel/ffi.js';
import {
  AF_INET,
  encodeMfcctl,
  encodeVifctl,
  IPPROTO_IGMP,
  IPPROTO_IP,
  MRT_ADD_MFC,
  MRT_ADD_VIF,
  MFCCTL_SIZE,
  MRT_INIT,
  SOCK_RAW,
  VIFCTL_SIZE,
} from '../../src/kernel/structs.js';
import { parseAddr, type Addr } from '../../src/model/addr.js';
import { route } from './plan.js';

function addr(text: string): Addr {
  const a = parseAddr(text);
  if (!a) throw new Error(`bad address ${text}`);
  return a;
}

function main(): void {
  const [nText, iif, oif] = process.argv.slice(2);
  const n = Number(nText);
  if (!Number.isInteger(n) || n < 1 || iif === undefined || oif === undefined) throw new Error('usage: mfc-floor N IIF OIF');
  const index = (name: string): number => {
    const e = ifNameIndex().find((x) => x.name === name);
    if (!e) throw new Error(`no interface ${name}`);
    return e.index;
  };
  const fd = socket(AF_INET, SOCK_RAW, IPPROTO_IGMP);
  const one = Buffer.alloc(4);
  one.writeInt32LE(1, 0);
  setsockopt('MRT_INIT', fd, IPPROTO_IP, MRT_INIT, one, 4);
  [iif, oif].forEach((name, vif) => {
    const b = Buffer.alloc(VIFCTL_SIZE);
    encodeVifctl(b, vif, index(name), 1);
    setsockopt('MRT_ADD_VIF', fd, IPPROTO_IP, MRT_ADD_VIF, b, VIFCTL_SIZE);
  });
  // Every request is encoded before the clock starts: the loop is the system calls alone.
  const ttls = new Uint8Array(32);
  ttls[1] = 1;
  const all = Buffer.alloc(MFCCTL_SIZE * n);
  const reqs: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const b = all.subarray(i * MFCCTL_SIZE, (i + 1) * MFCCTL_SIZE);
    const r = route(i);
    encodeMfcctl(b, addr(r.source), addr(r.group), 0, ttls);
    reqs.push(b);
  }
  const t0 = performance.now();
  for (const b of reqs) setsockopt('MRT_ADD_MFC', fd, IPPROTO_IP, MRT_ADD_MFC, b, MFCCTL_SIZE);
  const ms = performance.now() - t0;
  const entries = readFileSync('/proc/self/net/ip_mr_cache', 'utf8').trimEnd().split('\n').length - 1;
  close(fd);
  process.stdout.write(`${JSON.stringify({ ms, entries })}\n`);
}

main();
