// A real Daemon on the fake kernel with an in-memory config, for tests that drive it through the
// IPC command handler; plus the kernel as the daemon claims it and as the fake holds it, in one text form.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../src/daemon/daemon.js';
import { encodeRequest, FrameDecoder } from '../../src/ipc/codec.js';
import { dispatch, type Reply } from '../../src/ipc/dispatch.js';
import { FakeKernel, FakeNetns } from '../../src/kernel/fake.js';
import type { Kernel, LinkInfo } from '../../src/kernel/types.js';
import { memoryLogger } from '../../src/log.js';
import { formatAddr, formatPrefix, type Family } from '../../src/model/addr.js';
import type { RouteView } from '../../src/show/types.js';
import { MemConfFs } from './mem-conf-fs.js';

export const CONF_FILE = '/etc/smcroute.conf';

export interface FakeDaemon {
  readonly daemon: Daemon;
  readonly fake: FakeKernel;
  readonly ns: FakeNetns;
  /** The config files; replace CONF_FILE's text, then reload. */
  readonly files: Map<string, string>;
  readonly log: ReturnType<typeof memoryLogger>;
  /** One request as smcroutectl would send it, through the decoder and the command handler. */
  send(cmd: string, args: readonly string[]): Reply;
  /** The same for a request answered asynchronously (reload --dry-run), or any other. */
  ask(cmd: string, args?: readonly string[]): Promise<Reply>;
  stop(): Promise<void>;
}

/** The fake kernel, telling `onCall` the name of every method called on it, to prove what a change did not touch. */
export function recordKernel(fake: FakeKernel, onCall: (name: string) => void): Kernel {
  return new Proxy(fake, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        onCall(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** `wrapKernel`: what the daemon is given instead of the fake itself (recordKernel). */
export async function startFakeDaemon(
  conf: string,
  links: readonly LinkInfo[],
  opts: { wrapKernel?: (fake: FakeKernel) => Kernel } = {},
): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'smct-fuzz-'));
  const files = new Map([[CONF_FILE, conf]]);
  const ns = new FakeNetns(links);
  const fake = new FakeKernel(ns);
  const log = memoryLogger();
  // Tests edit `files` between reloads; MemConfFs reads the map as it is at each call.
  const fs = new MemConfFs(files);
  const daemon = new Daemon(
    opts.wrapKernel?.(fake) ?? fake,
    log,
    { confFile: CONF_FILE, pidFile: join(dir, 'd.pid'), sockFile: join(dir, 'd.sock'), table: 0, cacheTimeout: 0 },
    fs,
  );
  const failed = await daemon.start();
  if (failed !== undefined) throw new Error(`fake daemon did not start: exit ${failed}\n${log.lines.join('\n')}`);
  const frameOf = (cmd: string, args: readonly string[]) => {
    const results = new FrameDecoder().push(encodeRequest(cmd, args));
    const frame = results[0];
    if (results.length !== 1 || !frame?.ok) throw new Error(`could not decode our own ${cmd} frame`);
    return frame.value;
  };
  const send = (cmd: string, args: readonly string[]): Reply => {
    const reply = dispatch(frameOf(cmd, args), daemon);
    if (reply instanceof Promise) throw new Error(`${cmd} is answered asynchronously: use ask()`);
    return reply;
  };
  const ask = async (cmd: string, args: readonly string[] = []): Promise<Reply> => dispatch(frameOf(cmd, args), daemon);
  return {
    daemon,
    fake,
    ns,
    files,
    log,
    send,
    ask,
    stop: async () => {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const text = (views: Iterable<RouteView>) =>
  [...views]
    .map((v) => `${v.source ? formatPrefix(v.source) : '*'},${formatPrefix(v.group)} ${v.iif} > ${[...v.oifs].sort().join(' ')}`)
    .sort();

/** The MFC as `show` reports it: "S,G IIF > OIF ...", sorted. */
export function shownKernel(d: Daemon): string[] {
  return text(d.showRoutes('brief').kernel);
}

/** The MFC as the fake kernel holds it, in the same form, VIF numbers turned back into names. */
export function fakeKernelMfc(fake: FakeKernel): string[] {
  const names = new Map(fake.links().map((l) => [l.index, l.name]));
  const out: string[] = [];
  for (const family of ['inet', 'inet6'] as Family[]) {
    const byVif = new Map(fake.vifs(family).map((v) => [v.vif, names.get(v.ifindex) ?? `ifindex ${v.ifindex}`]));
    for (const m of fake.mfcs(family)) {
      const oifs: string[] = [];
      m.ttls.forEach((t, vif) => t > 0 && oifs.push(byVif.get(vif) ?? `vif ${vif}`));
      out.push(`${formatAddr(m.source)},${formatAddr(m.group)} ${byVif.get(m.iif) ?? `vif ${m.iif}`} > ${oifs.sort().join(' ')}`);
    }
  }
  return out.sort();
}

/** Memberships as `show groups` reports the kernel's, "IIF S,G" per address, sorted. */
export function shownMemberships(d: Daemon): string[] {
  return d
    .showGroups()
    .kernel.map((g) => `${g.iif} ${g.source ? formatAddr(g.source.addr) : '*'},${formatAddr(g.group.addr)}`)
    .sort();
}

/** Memberships the fake namespace holds on links that exist, in the same form. */
export function fakeMemberships(ns: FakeNetns): string[] {
  const names = new Map(ns.links().map((l) => [l.index, l.name]));
  return ns
    .memberships()
    .map((m) => `${names.get(m.ifindex) ?? m.ifindex} ${m.source ? formatAddr(m.source) : '*'},${formatAddr(m.group)}`)
    .sort();
}
