import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandLog } from '../../src/core/command-log.js';
import type { RouteIntent } from '../../src/model/intents.js';
import { P } from '../lib/fixtures.js';

const route = (oifs: string[]): RouteIntent => ({
  iif: 'eth0',
  source: P('10.0.0.1'),
  group: P('225.1.2.3'),
  oifs,
  text: { source: '10.0.0.1', group: '225.1.2.3' },
  origin: 'ipc',
});

test('a script toggling one route for a long time leaves one entry, replayed as its net effect', () => {
  const log = new CommandLog();
  for (let i = 0; i < 10_000; i++) {
    log.record({ op: 'add', intent: route(['eth1']) });
    log.record({ op: 'remove', intent: route(['eth1']) });
  }
  assert.equal(log.size, 1);
  assert.deepEqual(
    [...log.replay()].map((o) => [o.op, o.op === 'add' || o.op === 'remove' ? o.intent.oifs : []]),
    [
      ['add', []],
      ['remove', ['eth1']],
    ],
  );
  log.record({ op: 'remove', intent: route([]) });
  assert.deepEqual(
    [...log.replay()].map((o) => o.op),
    ['remove'],
  );
  log.clear();
  assert.equal(log.size, 0);
});

test('routes and joins made by commands and undone leave nothing behind', () => {
  const log = new CommandLog();
  for (let i = 0; i < 1000; i++) {
    log.record({ op: 'add', intent: route(['eth1', 'eth2']) }, true);
    log.record({ op: 'remove', intent: route(['eth1']) });
    assert.deepEqual(
      [...log.replay()].map((o) => [o.op, o.op === 'add' || o.op === 'remove' ? o.intent.oifs : []]),
      [['add', ['eth2']]],
    );
    log.record({ op: 'remove', intent: route([]) });
    assert.equal(log.size, 0);
  }
  const join = { iif: 'eth0', group: P('225.1.2.3'), text: { group: '225.1.2.3' }, origin: 'ipc' };
  log.record({ op: 'join', intent: join }, true);
  assert.equal(log.size, 1);
  log.record({ op: 'leave', intent: join });
  assert.equal(log.size, 0);
});

test('a remove of something not made by commands stays, so a replay removes it again', () => {
  const log = new CommandLog();
  log.record({ op: 'add', intent: route(['eth1']) }, false); // merged into a configured route
  log.record({ op: 'remove', intent: route([]) });
  assert.deepEqual(
    [...log.replay()].map((o) => o.op),
    ['remove'],
  );
});
