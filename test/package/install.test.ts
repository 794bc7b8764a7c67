// The package as an operator gets it: `npm pack` of a copy of this checkout (its prepack cleans and
// builds), the tarball's contents, then `npm install -g` of that tarball into a temporary prefix and
// the installed programs and man pages, run from there; as root, the installed daemon routes.

import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { manSkipReason, runMan } from '../lib/man.js';
import { rootSkipReason, withLab } from '../lib/netns.js';
import { REPO_ROOT, repoPath } from '../lib/paths.js';

interface Packed {
  readonly tarball: string;
  readonly files: readonly string[];
}

/** npm's own failure codes that mean "the registry cannot be reached", not "the package is wrong". */
const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENETUNREACH', 'ENOTCACHED']);

/** What the tarball may hold besides package.json, README.md and LICENSE, which npm always adds. */
const SHIPPED_DIRS = ['bin/', 'dist/smcrouted.cjs', 'dist/smcroutectl.cjs', 'man/', 'conf/', 'systemd/', 'completion/'];

function npmSkipReason(): string | undefined {
  const r = spawnSync('npm', ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? 'npm is missing: it comes with Node.js' : undefined;
}

function npm(args: readonly string[], cwd: string) {
  const r = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sh(cmd: string, args: readonly string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Packs a copy of the checkout: prepack empties and rebuilds dist/, which the tests running now
 * are loaded from, so it must not run here. The copy shares node_modules for the compiler.
 */
function pack(work: string): Packed {
  const copy = join(work, 'checkout');
  const skipTop = new Set(['node_modules', 'dist', '.git']);
  cpSync(REPO_ROOT, copy, {
    recursive: true,
    filter: (src) => {
      const rel = relative(REPO_ROOT, src);
      return !skipTop.has(rel.split(sep)[0] ?? '') && !/^smcroute-.*\.tgz$/.test(rel);
    },
  });
  symlinkSync(realpathSync(repoPath('node_modules')), join(copy, 'node_modules'));
  const r = npm(['pack', '--json', '--pack-destination', work], copy);
  assert.equal(r.status, 0, `npm pack failed:\n${r.stderr}`);
  const report = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  const first = report[0];
  assert.ok(first, `npm pack reported no package:\n${r.stdout}`);
  return { tarball: join(work, first.filename), files: first.files.map((f) => f.path) };
}

const skip = npmSkipReason();
let work = '';
let packed: Packed | undefined;
/** The prefix the tarball was installed into, once it was. */
let prefix: string | undefined;

before(() => {
  if (skip !== undefined) return;
  work = mkdtempSync(join(tmpdir(), 'smct-pkg-'));
  packed = pack(work);
});

after(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

test('npm pack ships the built programs, man pages, conf/, systemd/ and README, and no tests', { skip }, () => {
  assert.ok(packed);
  const files = new Set(packed.files);
  const wanted = [
    'package.json',
    'README.md',
    'LICENSE',
    'bin/smcrouted',
    'bin/smcroutectl',
    // bin/ is CommonJS; each program is one bundled file.
    'bin/package.json',
    'dist/smcrouted.cjs',
    'dist/smcroutectl.cjs',
    'man/smcrouted.8',
    'man/smcroutectl.8',
    'man/smcroute.conf.5',
    'conf/smcroute.conf',
    'systemd/smcroute.service',
    'completion/smcroutectl.bash',
    'completion/_smcroutectl',
  ];
  for (const f of wanted) assert.ok(files.has(f), `${f} is missing from the tarball`);
  for (const f of files) {
    const allowed = ['package.json', 'README.md', 'LICENSE'].includes(f) || SHIPPED_DIRS.some((d) => f.startsWith(d));
    assert.ok(allowed, `${f} should not be in the tarball (only ${SHIPPED_DIRS.join(', ')} and the top files)`);
    // Source maps would point at src/*.ts, which is not shipped.
    assert.ok(!f.endsWith('.map'), `${f}: source maps are not shipped`);
  }
});

test(
  'npm install -g of the tarball gives working smcrouted and smcroutectl, and their man pages',
  { skip, timeout: 300_000 },
  (t: TestContext) => {
    assert.ok(packed);
    const into = join(work, 'prefix');
    // The registry serves koffi and pino; --prefer-offline takes them from the cache `npm ci` filled.
    const r = npm(['install', '--global', '--prefix', into, '--prefer-offline', packed.tarball], work);
    const code = /npm error code (E[A-Z]+)/.exec(r.stderr)?.[1];
    if (r.status !== 0 && code !== undefined && OFFLINE_CODES.has(code)) {
      t.skip(`the npm registry cannot be reached (${code}) to install koffi and pino`);
      return;
    }
    assert.equal(r.status, 0, `npm install -g failed:\n${r.stderr}`);
    prefix = into;

    const pkg = JSON.parse(readFileSync(join(into, 'lib/node_modules/smcroute/package.json'), 'utf8')) as { version: string };
    const version = sh(join(into, 'bin/smcrouted'), ['-v']);
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, new RegExp(`^SMCRoute v${pkg.version.replace(/\./g, '\\.')} `));

    const check = sh(join(into, 'bin/smcrouted'), ['-F', join(into, 'lib/node_modules/smcroute/conf/smcroute.conf')]);
    assert.equal(check.status, 0, `smcrouted -F of the shipped example:\n${check.stderr}`);

    const help = sh(join(into, 'bin/smcroutectl'), ['-h']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage:\n {2}smcroutectl \[OPTIONS\] CMD/);

    // The completion scripts, where README and smcroutectl(8) say to copy them from.
    const completion = join(into, 'lib/node_modules/smcroute/completion');
    for (const [shell, file] of [
      ['bash', 'smcroutectl.bash'],
      ['zsh', '_smcroutectl'],
    ] as const) {
      assert.ok(existsSync(join(completion, file)), `${file} is not in ${completion}`);
      const parsed = spawnSync(shell, ['-n', join(completion, file)], { encoding: 'utf8' });
      if (parsed.error) t.diagnostic(`${shell} is missing: ${file} not parsed`);
      else assert.equal(parsed.status, 0, `${shell} -n ${file}: ${parsed.stderr}`);
    }

    for (const [sub, page] of [
      ['man8', 'smcrouted.8'],
      ['man8', 'smcroutectl.8'],
      ['man5', 'smcroute.conf.5'],
    ] as const) {
      assert.ok(existsSync(join(into, 'share/man', sub, page)), `${sub}/${page} is not under ${into}/share/man`);
    }
    const noMan = manSkipReason();
    if (noMan !== undefined) {
      t.diagnostic(`man pages not rendered: ${noMan}`);
      return;
    }
    // Found by name in the prefix's man tree, as `man smcrouted` finds it when the prefix is /usr.
    for (const name of ['smcrouted', 'smcroutectl', 'smcroute.conf']) {
      const shown = runMan(['-M', join(into, 'share/man'), name]);
      assert.equal(shown.status, 0, shown.stderr);
      assert.equal(shown.stderr, '');
      assert.match(shown.text, new RegExp(`^NAME\\n\\s+${name.replace('.', '\\.')} `, 'm'));
    }
  },
);

test(
  'the installed smcrouted routes: its FFI loads and smcroutectl talks to it',
  { skip: skip ?? rootSkipReason(), timeout: 60_000 },
  async (t: TestContext) => {
    const into = prefix;
    if (into === undefined) {
      t.skip('nothing installed: see the install test');
      return;
    }
    await withLab(async (lab) => {
      const ns = lab.addNs('r');
      lab.veth({ ns, ifname: 'a0' }, { ns, ifname: 'a1' });
      const conf = lab.writeFile('pkg.conf', 'mroute from a0 source 10.0.0.1 group 239.1.2.3 to a1\n');
      const sock = lab.path('pkg.sock');
      const pid = lab.path('pkg.pid');
      const daemon = await lab.startDaemon({
        ns,
        cmd: join(into, 'bin/smcrouted'),
        args: ['-n', '-i', `smct-${lab.id}`, '-f', conf, '-u', sock, '-P', pid],
        readyFiles: [pid, sock],
        label: 'installed smcrouted',
      });
      assert.match(lab.ip(ns, 'mroute', 'show'), /\(10\.0\.0\.1,\s*239\.1\.2\.3\)\s+Iif: a0\s+Oifs: a1/);
      const shown = lab.exec(ns, join(into, 'bin/smcroutectl'), ['-u', sock, 'show']);
      assert.match(shown.stdout, /^\(10\.0\.0\.1, 239\.1\.2\.3\)\s+a0\s+a1$/m);
      lab.exec(ns, join(into, 'bin/smcroutectl'), ['-u', sock, 'kill']);
      assert.deepEqual(await daemon.proc.exited, { code: 0, signal: null });
    });
  },
);
