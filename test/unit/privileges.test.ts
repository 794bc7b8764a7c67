// -p USER[:GROUP]: how the argument is read, how names and numbers resolve through NSS
// (libc's getpwnam_r and friends, on this machine's /etc/passwd), and the capability masks
// kept after the drop. The drop itself runs in test/kernel/daemon-privileges.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions, parseRunAs } from '../../src/cli/smcrouted-options.js';
import {
  CAP,
  ROUTING_CAPS,
  START_CAPS,
  capHex,
  capMask,
  capNames,
  capsToKeep,
  fromWords,
  hasCap,
  toWords,
} from '../../src/kernel/capabilities.js';
import { resolveRunAs } from '../../src/kernel/privileges.js';

test('-p USER and USER:GROUP; "USER:" means the primary group; empty or extra parts are refused', () => {
  assert.deepEqual(parseRunAs('nobody'), { user: 'nobody' });
  assert.deepEqual(parseRunAs('nobody:nogroup'), { user: 'nobody', group: 'nogroup' });
  assert.deepEqual(parseRunAs('nobody:'), { user: 'nobody' });
  assert.deepEqual(parseRunAs('65534:65534'), { user: '65534', group: '65534' });
  for (const bad of ['', ':nogroup', ':', 'a:b:c', 'nobody::']) assert.equal(parseRunAs(bad), undefined, bad);

  assert.deepEqual(parseOptions(['-p', 'nobody:nogroup']).opts.runAs, { user: 'nobody', group: 'nogroup' });
  assert.deepEqual(parseOptions(['-pdaemon']).opts.runAs, { user: 'daemon' });
  assert.equal(parseOptions(['-p', ':x']).error, 'Invalid user:group argument: :x');
});

test('names resolve through NSS; numbers too; unknown names are refused by name', () => {
  // Debian's base-passwd fixes these ids, so CI's fresh Debian has them as this machine does.
  assert.deepEqual(resolveRunAs({ user: 'nobody', group: 'nogroup' }), {
    ok: true,
    value: { user: 'nobody', group: 'nogroup', uid: 65534, gid: 65534 },
  });
  // Without a group: the user's primary group (daemon is 1:1).
  assert.deepEqual(resolveRunAs({ user: 'daemon' }), { ok: true, value: { user: 'daemon', uid: 1, gid: 1 } });
  assert.deepEqual(resolveRunAs({ user: '65534', group: '65534' }), {
    ok: true,
    value: { user: '65534', group: '65534', uid: 65534, gid: 65534 },
  });
  // A number with no passwd entry is an id all the same, once a group says which gid.
  assert.deepEqual(resolveRunAs({ user: '4000123', group: 'nogroup' }), {
    ok: true,
    value: { user: '4000123', group: 'nogroup', uid: 4000123, gid: 65534 },
  });
  assert.deepEqual(resolveRunAs({ user: '4000123' }), {
    ok: false,
    error: 'User 4000123 has no passwd entry: give its group as 4000123:GROUP',
  });
  assert.deepEqual(resolveRunAs({ user: 'no-such-user-smct' }), { ok: false, error: 'Unknown user no-such-user-smct' });
  assert.deepEqual(resolveRunAs({ user: 'nobody', group: 'no-such-group-smct' }), {
    ok: false,
    error: 'Unknown group no-such-group-smct',
  });
  assert.deepEqual(resolveRunAs({ user: 'root' }), { ok: false, error: 'User root is root: nothing to drop' });
  // (uid_t)-1 means "unchanged" to setresuid: no id.
  assert.deepEqual(resolveRunAs({ user: '4294967295' }), { ok: false, error: 'Unknown user 4294967295' });
});

test('capability masks: bits, capset words, /proc hex, names', () => {
  assert.equal(capMask([CAP.NET_ADMIN]), 0x1000n);
  assert.equal(capMask([CAP.NET_RAW]), 0x2000n);
  assert.equal(capMask([CAP.NET_ADMIN, CAP.NET_RAW, CAP.NET_RAW]), 0x3000n);
  assert.equal(capMask([]), 0n);
  assert.throws(() => capMask([64]), RangeError);
  // Capabilities above 31 live in the second word.
  assert.deepEqual(toWords(capMask([12, 40])), [0x1000, 0x100]);
  assert.equal(fromWords([0x1000, 0x100]), capMask([12, 40]));
  assert.equal(fromWords([0xffffffff, 0x1ff]), 0x1ffffffffffn);
  assert.equal(capHex(0x2000n), '0000000000002000');
  assert.equal(capHex(0x1ffffffffffn), '000001ffffffffff');
  assert.equal(capNames(0x3000n), 'cap_net_admin,cap_net_raw');
  assert.equal(capNames(0n), 'none');
  assert.ok(hasCap(0x3000n, CAP.NET_ADMIN) && !hasCap(0x2000n, CAP.NET_ADMIN));
});

test('after -p the daemon keeps CAP_NET_RAW alone, and only when it holds it', () => {
  assert.deepEqual(ROUTING_CAPS, [CAP.NET_RAW]);
  assert.deepEqual(START_CAPS, [CAP.NET_ADMIN, CAP.NET_RAW]);
  // Root's full permitted set (this kernel's CapBnd) comes down to 0x2000.
  assert.equal(capsToKeep(0x1fffeffffffn), 0x2000n);
  // A bounding set without CAP_NET_RAW (systemd CapabilityBoundingSet=) leaves nothing to keep.
  assert.equal(capsToKeep(capMask([CAP.NET_ADMIN, CAP.SETUID, CAP.SETGID])), 0n);
  assert.equal(capsToKeep(0n), 0n);
});
