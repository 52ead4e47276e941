// Sync bookkeeping with a scripted transport and a fake clock: a gap is given up only after answered syncs that left
// it (then with a `gap` event), a sync asked for while one is on its way is not lost, `more` answers go out as ONE
// follow-up sync per request (the frame rate limit).
import test from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { createClient } from '../wxim.mjs';
import { fakeClock, scriptedTransport } from './helpers.mjs';

const flush = () => new Promise((r) => setImmediate(r));
const message = (conv, seq) => ({ type: 'message', conv, seq, id: `m${seq}`, from: { id: 'u2' }, kind: 'text', body: String(seq), ts: 1 });
const push = (socket, conv, seq) => socket.h.onMessage(JSON.stringify(message(conv, seq)));
const welcome = (conversations) => JSON.stringify({ type: 'welcome', user: { id: 'u1' }, conversations, heartbeatSeconds: 25 });
const synced = (rid, conv, seqs, more = false) => JSON.stringify({ type: 'synced', rid, conv, messages: seqs.map((s) => message(conv, s)), more });
const syncs = (socket) => socket.sent.filter((f) => f.type === 'sync');

function setup(extra = {}) {
  const clock = fakeClock();
  const transport = scriptedTransport();
  const client = createClient({
    baseUrl: 'http://127.0.0.1:1', transport, timers: clock, now: clock.now, random: () => 0.5,
    http: { request: () => new Promise(() => {}) }, // nothing answers (the keys of encrypted mode)
    ...extra,
  });
  client.setSession({ accessToken: 'a0', refreshToken: 'r0', expiresIn: 900, user: { id: 'u1' } });
  const got = [];
  client.on('message', (m) => got.push(`${m.conv}#${m.seq}`));
  const gaps = [];
  client.on('gap', (g) => gaps.push(g));
  return { clock, transport, client, got, gaps };
}

/** Connects and answers with a welcome listing {@code conv} (no message yet); returns the socket. */
async function welcomedTo(client, transport, conv) {
  client.connect();
  await flush();
  const socket = transport.sockets.at(-1);
  socket.h.onMessage(welcome([{ conv, lastSeq: 0 }]));
  return socket;
}

test('pushes with a gap before the connection is ready (not yet `secured`) never skip the gap', { timeout: 5000 }, async () => {
  const { transport, client, got, gaps } = setup({ secure: true, crypto: webcrypto });
  client.connect();
  await flush();
  const s0 = transport.sockets[0];
  s0.h.onMessage(welcome([{ conv: 'r:a', lastSeq: 1 }]));
  await flush();
  for (let seq = 3; seq <= 8; seq++) {
    push(s0, 'r:a', seq);
    await flush();
  }
  assert.equal(client.state, 'connecting', 'still waiting for the keys: no sync could be sent');
  assert.deepEqual(got, [], 'seq 1 and 2 are missing: nothing delivered');
  assert.deepEqual(gaps, []);
  assert.equal(client.lastSeq('r:a'), 0);
  client.close();
});

test('syncs that time out do not count against a gap; the answer that finally comes fills it in order', { timeout: 5000 }, async () => {
  const { clock, transport, client, got, gaps } = setup();
  const s0 = await welcomedTo(client, transport, 'r:a');
  push(s0, 'r:a', 1);
  for (let seq = 3; seq <= 7; seq++) {
    push(s0, 'r:a', seq); // a push with a gap (seq 2 never came) while no sync is on its way: one is sent
    clock.advance(15000); // ... and never answered (the pushes keep the socket alive)
  }
  clock.advance(1000); // the retry after the last timeout
  assert.deepEqual(got, ['r:a#1'], 'no gap given up');
  assert.deepEqual(gaps, []);
  const last = syncs(s0).at(-1);
  assert.deepEqual(last.convs, { 'r:a': 1 });
  s0.h.onMessage(synced(last.rid, 'r:a', [2, 3, 4, 5, 6, 7]));
  assert.deepEqual(got, ['r:a#1', 'r:a#2', 'r:a#3', 'r:a#4', 'r:a#5', 'r:a#6', 'r:a#7']);
  assert.deepEqual(gaps, []);
  client.close();
});

test('a gap left by 3 answered, complete syncs is given up with a `gap` event, then the rest is delivered', { timeout: 5000 }, async () => {
  const { transport, client, got, gaps } = setup();
  const s0 = await welcomedTo(client, transport, 'r:a');
  push(s0, 'r:a', 1);
  push(s0, 'r:a', 3);
  for (let n = 1; n <= 3; n++) {
    assert.equal(syncs(s0).length, n);
    const sync = syncs(s0).at(-1);
    assert.deepEqual(sync.convs, { 'r:a': 1 });
    assert.deepEqual(got, ['r:a#1']);
    assert.deepEqual(gaps, []);
    s0.h.onMessage(synced(sync.rid, 'r:a', [3])); // the server has no seq 2
  }
  assert.deepEqual(gaps, [{ conv: 'r:a', from: 2, to: 2 }]);
  assert.deepEqual(got, ['r:a#1', 'r:a#3']);
  assert.equal(syncs(s0).length, 3, 'no further sync');
  client.close();
});

test('the answered syncs of a gap are counted per connection: a reconnect starts the count again', { timeout: 5000 }, async () => {
  const { clock, transport, client, got, gaps } = setup();
  const s0 = await welcomedTo(client, transport, 'r:a');
  push(s0, 'r:a', 1);
  push(s0, 'r:a', 3);
  for (let n = 0; n < 2; n++) s0.h.onMessage(synced(syncs(s0).at(-1).rid, 'r:a', [3]));
  s0.h.onClose(1006, 'network down'); // the third sync is lost with the connection
  clock.advance(250); // backoff: 0.5 * 500 ms
  await flush();
  const s1 = transport.sockets[1];
  s1.h.onMessage(welcome([{ conv: 'r:a', lastSeq: 3 }]));
  for (let n = 1; n <= 3; n++) {
    assert.deepEqual(gaps, [], `not given up before answer ${n} on the new connection`);
    assert.deepEqual(syncs(s1).at(-1).convs, { 'r:a': 1 });
    s1.h.onMessage(synced(syncs(s1).at(-1).rid, 'r:a', [3]));
  }
  assert.deepEqual(gaps, [{ conv: 'r:a', from: 2, to: 2 }]);
  assert.deepEqual(got, ['r:a#1', 'r:a#3']);
  client.close();
});

test('a `resync` or a `joined` with a higher lastSeq while that conversation syncs: synced again after the answer', { timeout: 5000 }, async () => {
  const { transport, client, got } = setup();
  client.connect();
  await flush();
  const s0 = transport.sockets[0];
  s0.h.onMessage(welcome([{ conv: 'r:a', lastSeq: 2 }]));
  assert.deepEqual(syncs(s0).map((f) => f.convs), [{ 'r:a': 0 }]);
  s0.h.onMessage(JSON.stringify({ type: 'resync', reason: 'pubsub' }));
  assert.equal(syncs(s0).length, 1, 'one sync of a conversation at a time');
  s0.h.onMessage(synced(syncs(s0)[0].rid, 'r:a', [1, 2])); // may predate the resync
  assert.deepEqual(syncs(s0).map((f) => f.convs), [{ 'r:a': 0 }, { 'r:a': 2 }], 'the resync is not lost');

  s0.h.onMessage(JSON.stringify({ type: 'joined', conv: 'r:a', name: 'A', online: 1, lastSeq: 4 }));
  assert.equal(syncs(s0).length, 2);
  s0.h.onMessage(synced(syncs(s0)[1].rid, 'r:a', []));
  assert.deepEqual(syncs(s0).at(-1).convs, { 'r:a': 2 }, 'the joined lastSeq is not lost');
  s0.h.onMessage(synced(syncs(s0)[2].rid, 'r:a', [3, 4]));
  assert.deepEqual(got, ['r:a#1', 'r:a#2', 'r:a#3', 'r:a#4']);
  assert.equal(syncs(s0).length, 3);
  client.close();
});

test('`more` answers of one sync request are followed by ONE sync after its last answer, not a frame each', { timeout: 5000 }, async () => {
  const { transport, client } = setup();
  client.connect();
  await flush();
  const s0 = transport.sockets[0];
  const convs = Array.from({ length: 150 }, (_, i) => `r:c${String(i).padStart(3, '0')}`);
  s0.h.onMessage(welcome(convs.map((conv) => ({ conv, lastSeq: 60 })))); // initialHistory 50: from seq 10
  const [first, second] = syncs(s0);
  assert.deepEqual(Object.keys(first.convs), convs.slice(0, 100));
  assert.deepEqual(Object.keys(second.convs), convs.slice(100));
  convs.slice(0, 100).forEach((conv, i) => {
    s0.h.onMessage(synced(first.rid, conv, [11], true));
    if (i < 99) assert.equal(syncs(s0).length, 2, `nothing sent after answer ${i + 1}`);
  });
  assert.equal(syncs(s0).length, 3);
  assert.deepEqual(syncs(s0)[2].convs, Object.fromEntries(convs.slice(0, 100).map((conv) => [conv, 11])));
  for (const conv of convs.slice(100)) s0.h.onMessage(synced(second.rid, conv, [11, 12]));
  assert.equal(syncs(s0).length, 3, 'complete answers need no follow-up');
  client.close();
});

const syncError = (rid, code, retry, conv) => JSON.stringify({ type: 'error', rid, ...(conv ? { conv } : {}), code, message: code, retry });

test('a sync error names its conversation: only that one is dropped or retried, the others\' answers are used', { timeout: 5000 }, async () => {
  const { clock, transport, client, got } = setup();
  client.connect();
  await flush();
  const s0 = transport.sockets[0];
  s0.h.onMessage(welcome([{ conv: 'r:a', lastSeq: 1 }, { conv: 'r:b', lastSeq: 1 }, { conv: 'r:c', lastSeq: 1 }]));
  const [first] = syncs(s0);
  assert.deepEqual(Object.keys(first.convs), ['r:a', 'r:b', 'r:c']);
  s0.h.onMessage(syncError(first.rid, 'unavailable', true, 'r:a')); // this conversation's store did not answer
  s0.h.onMessage(syncError(first.rid, 'not_found', false, 'r:b')); // no longer a member
  s0.h.onMessage(synced(first.rid, 'r:c', [1]));
  assert.deepEqual(got, ['r:c#1'], 'the answer after an error is used');
  assert.equal(syncs(s0).length, 1, 'the retryable one waits for a backoff');
  clock.advance(5000);
  assert.deepEqual(syncs(s0).map((f) => f.convs), [first.convs, { 'r:a': 0 }], 'only r:a again; r:b is dropped');
  s0.h.onMessage(JSON.stringify({ type: 'resync', reason: 'pubsub' }));
  assert.deepEqual(Object.keys(syncs(s0).at(-1).convs), ['r:c'], 'r:a is still syncing; r:b is not synced any more');
  client.close();
});

test('a sync refused as a whole (an error without conv) drops nothing, is reported, and is not sent again in a loop', { timeout: 5000 }, async () => {
  const { clock, transport, client } = setup();
  const errors = [];
  client.on('error', (e) => errors.push(e.code));
  client.connect();
  await flush();
  const s0 = transport.sockets[0];
  s0.h.onMessage(welcome([{ conv: 'r:a', lastSeq: 1 }, { conv: 'r:b', lastSeq: 1 }]));
  s0.h.onMessage(syncError(syncs(s0)[0].rid, 'bad_request', false));
  assert.deepEqual(errors, ['bad_request']);
  clock.advance(5000); // a retryable error's backoff (the heartbeat would drop the connection past 25 s)
  assert.equal(syncs(s0).length, 1, 'not sent again by itself');
  s0.h.onMessage(JSON.stringify({ type: 'resync', reason: 'pubsub' }));
  assert.deepEqual(Object.keys(syncs(s0).at(-1).convs), ['r:a', 'r:b'], 'both still synced at the next occasion');

  s0.h.onMessage(syncError(syncs(s0).at(-1).rid, 'unavailable', true)); // the whole command's deadline
  assert.equal(syncs(s0).length, 2);
  clock.advance(5000);
  assert.deepEqual(Object.keys(syncs(s0).at(-1).convs), ['r:a', 'r:b'], 'a retryable one is sent again after a backoff');
  assert.deepEqual(errors, ['bad_request']);
  client.close();
});

test('a server from before `conv` (a rollout): its per-conversation errors are matched by position as before', { timeout: 5000 }, async () => {
  const { clock, transport, client, got } = setup();
  const errors = [];
  client.on('error', (e) => errors.push(e.code));
  client.connect();
  await flush();
  const s0 = transport.sockets[0];
  s0.h.onMessage(welcome([{ conv: 'r:a', lastSeq: 1 }, { conv: 'r:b', lastSeq: 1 }, { conv: 'r:c', lastSeq: 1 }]));
  const [first] = syncs(s0);
  s0.h.onMessage(syncError(first.rid, 'not_found', false)); // r:a, by position
  s0.h.onMessage(synced(first.rid, 'r:b', [1]));
  s0.h.onMessage(syncError(first.rid, 'unavailable', true)); // r:c, by position
  assert.deepEqual(got, ['r:b#1']);
  assert.deepEqual(errors, []);
  clock.advance(5000);
  assert.deepEqual(syncs(s0).at(-1).convs, { 'r:c': 0 }, 'r:c again after a backoff; r:a dropped');
  client.close();
});
