// Log records and their two renderings: upstream's text line (stderr,
// syslog, memoryLogger) from one formatter, and pino's JSON, one object per
// line. Text never comes from parsing JSON back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, jsonSink, memoryLogger, stderrSink, type LevelName, type LogSink } from '../../src/log.js';
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
