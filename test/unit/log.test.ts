// Log records and their two renderings: upstream's text line (stderr,
// syslog, memoryLogger) from one formatter, and pino's JSON, one object per
// line. Text never comes from parsing JSON back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logTarget } from '../../src/cli/smcrouted.js';
import {
  createLogger,
  isJournalStream,
  jsonSink,
  memoryLogger,
  stderrSink,
  withPriority,
  type LevelName,
  type LogSink,
} from '../../src/log.js';
import { formatMessage, stderrLine } from '../../src/log-format.js';
import { asRecord, parseRecord } from '../lib/json.js';

function textSink(): LogSink & { got: string[] } {
  const got: string[] = [];
  return { got, write: (level: LevelName, line: string) => void got.push(`${level}: ${line}`) };
}

test('a message without fields is the message as it is', () => {
  assert.equal(
    formatMessage({ msg: 'Configuration /etc/smcroute.conf applied: 2 rules' }),
    'Configuration /etc/smcroute.conf applied: 2 rules',
  );
  assert.equal(formatMessage({ msg: 'Exiting.', fields: {} }), 'Exiting.');
  assert.equal(formatMessage({ msg: 'x', fields: { skipped: undefined } }), 'x');
});

test('fields follow as key=value pairs, quoted when they would not read as one word', () => {
  assert.equal(
    formatMessage({ msg: 'IPC request failed', fields: { cmd: 'a', error: 'Unknown inbound interface eth9' } }),
    'IPC request failed: cmd=a error="Unknown inbound interface eth9"',
  );
  assert.equal(formatMessage({ msg: 'Exiting.', fields: { code: 0 } }), 'Exiting. code=0', 'after punctuation, only a space');
  assert.equal(formatMessage({ msg: '', fields: { a: 1 } }), 'a=1');
  assert.equal(
    formatMessage({ msg: 'm', fields: { empty: '', eq: 'a=b', nl: 'two\nlines', q: 'say "hi"', ok: true, n: null, big: 10n } }),
    'm: empty="" eq="a=b" nl="two\\nlines" q="say \\"hi\\"" ok=true n=null big=10',
  );
  assert.equal(
    formatMessage({ msg: 'm', fields: { oifs: ['eth1', 'eth2'], at: { file: 'x.conf', line: 3 } } }),
    'm: oifs=eth1,eth2 at={"file":"x.conf","line":3}',
  );
  const err = Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
  assert.equal(
    formatMessage({ msg: 'Handling kernel upcalls failed', fields: { err } }),
    'Handling kernel upcalls failed: err="EMFILE: too many open files"',
  );
});

test('the stderr line is upstream\'s "ident[pid]: level: message"', () => {
  assert.equal(stderrLine('smcroute', 42, 'notice', 'SMCRoute v2.6.0'), 'smcroute[42]: notice: SMCRoute v2.6.0\n');
  const out: string[] = [];
  const log = createLogger('debug', [stderrSink('foo', (l) => void out.push(l))]);
  log.warning('IPC request failed', { cmd: 'j', error: 'Not a multicast group: 10.0.0.1' });
  assert.deepEqual(out, [`foo[${process.pid}]: warning: IPC request failed: cmd=j error="Not a multicast group: 10.0.0.1"\n`]);
});

test('text sinks get the level and the formatted message; levels below the threshold cost nothing', () => {
  const sink = textSink();
  const log = createLogger('notice', [sink]);
  let built = 0;
  log.debug(() => {
    built++;
    return 'never';
  });
  log.info('not this either', { a: 1 });
  log.notice('100%% %s %d kept as written');
  log.err(() => 'lazy and logged', { iif: 'eth0', group: '225.1.2.3' });
  assert.equal(built, 0);
  assert.deepEqual(sink.got, ['notice: 100%% %s %d kept as written', 'err: lazy and logged: iif=eth0 group=225.1.2.3']);
  const silent = textSink();
  createLogger('silent', [silent]).err('x');
  assert.deepEqual(silent.got, []);
});

test('text is made from the record itself: JSON.parse is never called', () => {
  const sink = textSink();
  const log = createLogger('debug', [sink]);
  const parse = JSON.parse;
  JSON.parse = () => {
    throw new Error('JSON.parse called while logging');
  };
  try {
    log.info('New flow', { source: '10.0.0.1', group: '225.1.1.1', iif: 'eth0' });
  } finally {
    JSON.parse = parse;
  }
  assert.deepEqual(sink.got, ['info: New flow: source=10.0.0.1 group=225.1.1.1 iif=eth0']);
});

test('the JSON sink writes one object per line: level by name, time, base fields, message, fields, errors', () => {
  const lines: string[] = [];
  const text = textSink();
  const log = createLogger('info', [jsonSink((l) => void lines.push(l)), text], { name: 'smcroute', pid: 1234 });
  log.notice('SMCRoute v2.6.0');
  log.debug('dropped');
  log.warning('IPC request failed', { cmd: 'a', error: 'Unknown inbound interface eth9' });
  log.err('Handling kernel upcalls failed', { err: Object.assign(new Error('boom'), { code: 'EMFILE' }) });
  assert.equal(lines.length, 3);
  for (const l of lines) assert.ok(l.endsWith('}\n') && l.indexOf('\n') === l.length - 1, l);
  const [start, ipc, fail] = lines.map(parseRecord);
  assert.ok(start && ipc && fail);
  assert.equal(start.level, 'notice');
  assert.equal(start.msg, 'SMCRoute v2.6.0');
  assert.equal(start.name, 'smcroute');
  assert.equal(start.pid, 1234);
  assert.equal(typeof start.time, 'string');
  assert.match(String(start.time), /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual(
    { level: ipc.level, msg: ipc.msg, cmd: ipc.cmd, error: ipc.error },
    { level: 'warning', msg: 'IPC request failed', cmd: 'a', error: 'Unknown inbound interface eth9' },
  );
  const err = asRecord(fail.err, 'err');
  assert.equal(err.message, 'boom');
  assert.equal(err.code, 'EMFILE');
  assert.equal(err.type, 'Error');
  // the same records, as text, to a text sink alongside
  assert.deepEqual(text.got, [
    'notice: SMCRoute v2.6.0',
    'warning: IPC request failed: cmd=a error="Unknown inbound interface eth9"',
    'err: Handling kernel upcalls failed: err=boom',
  ]);
});

test('memoryLogger records "level: message" lines, as the text sinks render them, and the records', () => {
  const log = memoryLogger();
  log.notice('Reloading configuration');
  log.debug(() => 'lazy');
  log.warning('IPC request failed', { cmd: 'a', error: 'Unknown inbound interface eth9' });
  assert.deepEqual(log.lines, [
    'notice: Reloading configuration',
    'debug: lazy',
    'warning: IPC request failed: cmd=a error="Unknown inbound interface eth9"',
  ]);
  assert.deepEqual(log.records[2], {
    level: 'warning',
    msg: 'IPC request failed',
    fields: { cmd: 'a', error: 'Unknown inbound interface eth9' },
  });
});

test('under journald each stderr line starts with its syslog priority, so journalctl -p keeps the level', () => {
  const out: string[] = [];
  const log = createLogger('debug', [stderrSink('smcroute', (l) => void out.push(l), { priorityPrefix: true })]);
  log.err('Failed binding IPC socket /run/smcroute.sock');
  log.warning('w');
  log.notice('SMCRoute v2.6.0');
  log.info('i');
  log.debug('d');
  const p = process.pid;
  assert.deepEqual(out, [
    `<3>smcroute[${p}]: err: Failed binding IPC socket /run/smcroute.sock\n`,
    `<4>smcroute[${p}]: warning: w\n`,
    `<5>smcroute[${p}]: notice: SMCRoute v2.6.0\n`,
    `<6>smcroute[${p}]: info: i\n`,
    `<7>smcroute[${p}]: debug: d\n`,
  ]);
  // Every line of a message, or journald would file the rest at the unit's default level.
  assert.equal(withPriority('err', 'first\nsecond\n'), '<3>first\n<3>second\n');
  assert.equal(withPriority('crit', 'one'), '<2>one');
});

test('the JSON sink under journald: the priority, then the same object', () => {
  const lines: string[] = [];
  createLogger('info', [jsonSink((l) => void lines.push(l), { priorityPrefix: true })]).err('bad');
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /^<3>\{/);
  assert.equal(parseRecord((lines[0] ?? '').slice(3)).msg, 'bad');
});

test('without the prefix option, stderr lines carry no <N>', () => {
  const out: string[] = [];
  createLogger('info', [stderrSink('s', (l) => void out.push(l))]).err('x');
  assert.deepEqual(out, [`s[${process.pid}]: err: x\n`]);
});

test('stderr is the journal only when JOURNAL_STREAM names its device and inode', () => {
  const stderr = { dev: 8n, ino: 123456789n };
  assert.equal(isJournalStream('8:123456789', stderr), true);
  assert.equal(isJournalStream('8:123456788', stderr), false, 'stderr redirected elsewhere');
  assert.equal(isJournalStream('9:123456789', stderr), false);
  assert.equal(isJournalStream(undefined, stderr), false, 'not under systemd');
  assert.equal(isJournalStream('8:123456789', undefined), false, 'stderr closed');
  for (const bad of ['', '8', '8:', ':1', 'a:b', '8:1:2', ' 8:1'])
    assert.equal(isJournalStream(bad, { dev: 8n, ino: 1n }), false, bad);
  // Inode numbers past 2^53 compare exactly.
  assert.equal(isJournalStream('2049:18446744073709551615', { dev: 2049n, ino: 18446744073709551615n }), true);
});

test('one log destination: -s or a detached daemon log to syslog only, -n alone to stderr only', () => {
  assert.equal(logTarget({ syslog: false }, false), 'stderr', '-n');
  assert.equal(logTarget({ syslog: true }, false), 'syslog', '-n -s: not both, as every line used to be');
  assert.equal(logTarget({ syslog: false }, true), 'syslog', 'detached');
  assert.equal(logTarget({ syslog: true }, true), 'syslog', 'detached with -s');
});
