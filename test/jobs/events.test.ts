// JobEventLog: the in-process job's events for GET /v1/videos/{id}/events (pure, no video).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobEventLog, type JobEvent } from '../../src/jobs/events.ts';

test('kept events are replayed after an id, new ones passed on, progress passed on but not kept, the final event once', () => {
  const log = new JobEventLog(3);
  log.push('track-start', { n: 1 });
  log.push('track-end', { n: 2 });
  const seen: JobEvent[] = [];
  const { backlog, missed, unsubscribe } = log.subscribe(1, (event) => seen.push(event));
  assert.deepEqual(backlog.map((e) => [e.id, e.type]), [[2, 'track-end']]);
  assert.equal(missed, 0);
  log.notify('progress', { seconds: 1 });
  log.push('track-start', { n: 3 });
  log.end('done', {});
  log.end('failed', {}); // once only
  log.push('track-start', { n: 4 }); // nothing after the end
  assert.deepEqual(seen.map((e) => [e.id, e.type]), [[null, 'progress'], [3, 'track-start'], [4, 'done']]);
  unsubscribe();
  // Late: what is kept, then the final event; nothing is listened to any more.
  const late = log.subscribe(0, () => assert.fail('ended: no listener'));
  assert.deepEqual(late.backlog.map((e) => [e.id, e.type]), [[1, 'track-start'], [2, 'track-end'], [3, 'track-start'], [4, 'done']]);
  assert.equal(log.subscribe(4, () => undefined).backlog.length, 0);
});

test('past `max` the oldest events are dropped, and a client after an older id is told how many it missed', () => {
  const log = new JobEventLog(2);
  for (let i = 1; i <= 5; i++) log.push('track-start', { i });
  assert.equal(log.dropped, 3);
  const fromStart = log.subscribe(0, () => undefined);
  assert.deepEqual(fromStart.backlog.map((e) => e.id), [4, 5]);
  assert.equal(fromStart.missed, 3);
  const fromTwo = log.subscribe(2, () => undefined);
  assert.equal(fromTwo.missed, 1);
  assert.equal(log.subscribe(3, () => undefined).missed, 0);
});

test('a listener that throws is dropped; the others still get the event', () => {
  const log = new JobEventLog();
  const got: string[] = [];
  log.subscribe(0, () => { throw new Error('client gone'); });
  log.subscribe(0, (event) => got.push(event.type));
  log.push('track-start', {});
  log.push('track-end', {});
  assert.deepEqual(got, ['track-start', 'track-end']);
});
