// State machine, backoff with full jitter, heartbeat and dead-connection detection: a scripted transport and a fake
// clock, so every delay is checked exactly.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient, backoffDelay } from '../wxim.mjs';
import { fakeClock, scriptedTransport } from './helpers.mjs';

const flush = () => new Promise((r) => setImmediate(r));
const welcome = (heartbeatSeconds = 25) => JSON.stringify({ type: 'welcome', user: { id: 'u1' }, conversations: [], heartbeatSeconds });

function setup(randoms = [0.5]) {
  const clock = fakeClock();
  const transport = scriptedTransport();
  let i = 0;
  const http = { request: async () => ({ status: 200, data: { accessToken: `a${++i}`, refreshToken: `r${i}`, expiresIn: 900, user: { id: 'u1' } } }) };
  let r = 0;
  const client = createClient({
    baseUrl: 'http://127.0.0.1:1', transport, timers: clock, now: clock.now, http,
    random: () => randoms[r++ % randoms.length],
  });
  client.setSession({ accessToken: 'a0', refreshToken: 'r0', expiresIn: 900, user: { id: 'u1' } });
  const states = [];
  client.on('state', (s) => states.push(s.state));
  const delays = [];
  client.on('reconnecting', (e) => delays.push(e.delay));
  return { clock, transport, client, states, delays, http };
}

test('backoffDelay is random() * min(cap, base * 2^attempt)', () => {
  assert.equal(backoffDelay(0, () => 0.5), 250);
  assert.equal(backoffDelay(3, () => 1), 4000);
  assert.equal(backoffDelay(10, () => 0.999999), 29999);
  assert.equal(backoffDelay(100, () => 0.5), 15000);
  assert.equal(backoffDelay(4, () => 0), 0);
});

test('reconnects with exponential backoff and full jitter from the injected random, capped at 30 s', async () => {
  const randoms = [0.5, 0.25, 1, 0.1, 0.9, 0.3, 0.7, 0.6, 0.2, 0.8];
  const { clock, transport, client, delays, states } = setup(randoms);
  client.connect();
  await flush();
  for (let n = 0; n < randoms.length; n++) {
    assert.equal(transport.sockets.length, n + 1);
    transport.sockets[n].h.onClose(1006, 'network down');
    await flush();
    assert.equal(delays[n], Math.floor(randoms[n] * Math.min(30000, 500 * 2 ** n)), `delay ${n}`);
    clock.advance(delays[n] - 1);
    await flush();
    assert.equal(transport.sockets.length, n + 1, 'not before the delay');
    clock.advance(1);
    await flush();
  }
  assert.deepEqual(delays.slice(6), [0.7 * 30000, 0.6 * 30000, 0.2 * 30000, 0.8 * 30000].map(Math.floor));
  assert.deepEqual(states.slice(0, 3), ['connecting', 'offline', 'connecting']);
  client.close();
});

test('backoff restarts from the base after a connection that stayed online', async () => {
  const { clock, transport, client, delays } = setup([1]);
  client.connect();
  transport.sockets[0].h.onClose(1006);
  clock.advance(delays[0]);
  await flush();
  transport.sockets[1].h.onClose(1006);
  assert.deepEqual(delays, [500, 1000]);
  clock.advance(1000);
  await flush();
  transport.sockets[2].h.onMessage(welcome());
  assert.equal(client.state, 'online');
  clock.advance(10000);
  transport.sockets[2].h.onClose(4001, 'going away');
  assert.deepEqual(delays, [500, 1000, 500]);
  client.close();
});

test('wake() skips the backoff wait and reconnects at once', async () => {
  const { transport, client, delays } = setup([1]);
  client.connect();
  for (let n = 0; n < 6; n++) {
    transport.sockets[n].h.onClose(1006);
    client.wake();
    await flush();
  }
  assert.equal(transport.sockets.length, 7);
  assert.ok(delays.every((d) => d === 500), 'each wake resets the attempt count');
  client.close();
});

test('sends ping every heartbeatSeconds from welcome and drops a connection silent for 2x heartbeat', async () => {
  const { clock, transport, client, states } = setup([0]);
  client.connect();
  const s0 = transport.sockets[0];
  s0.h.onMessage(welcome(10));
  assert.equal(client.state, 'online');
  clock.advance(10000);
  assert.deepEqual(s0.sent.filter((f) => f.type === 'ping').length, 1);
  s0.h.onMessage(JSON.stringify({ type: 'pong', ts: 1 })); // any frame proves the connection alive
  clock.advance(19999);
  assert.equal(s0.closed, null, 'alive: a frame came 19.999 s ago');
  assert.equal(s0.sent.filter((f) => f.type === 'ping').length, 2);
  clock.advance(1);
  assert.ok(s0.closed, 'closed after 20 s without any frame');
  assert.deepEqual(states.slice(-3), ['online', 'offline', 'connecting'], 'random 0: reconnect at once');
  await flush();
  assert.equal(transport.sockets.length, 2, 'reconnected');
  client.close();
});

test('a handshake that never produces welcome is given up after 2x the default heartbeat', async () => {
  const { clock, transport, client } = setup([0]);
  client.connect();
  clock.advance(49999);
  assert.equal(transport.sockets[0].closed, null);
  clock.advance(1);
  assert.ok(transport.sockets[0].closed);
  await flush();
  assert.equal(transport.sockets.length, 2);
  client.close();
});

test('wake() on an open connection probes it with a ping and reconnects if nothing answers within 5 s', async () => {
  const { clock, transport, client } = setup([0]);
  client.connect();
  const s0 = transport.sockets[0];
  s0.h.onMessage(welcome(25));
  client.wake();
  assert.equal(s0.sent.at(-1).type, 'ping');
  clock.advance(5000);
  assert.ok(s0.closed);
  await flush();
  assert.equal(transport.sockets.length, 2);
  client.close();
});

test('close codes: 4500+ and 1002/1007 stop with a "stopped" event; 4000-4499 reconnect', async () => {
  for (const [code, stops] of [[4000, false], [4001, false], [4002, false], [4004, false], [4005, false], [1009, false],
    [4500, true], [4501, true], [4503, true], [1002, true], [1007, true]]) {
    const { transport, client, clock } = setup([0]);
    const stopped = [];
    client.on('stopped', (e) => stopped.push(e));
    client.connect();
    transport.sockets[0].h.onMessage(welcome());
    transport.sockets[0].h.onClose(code, 'why');
    clock.advance(0);
    await flush();
    if (stops) {
      assert.deepEqual(stopped, [{ code, reason: 'why' }], `code ${code}`);
      assert.equal(client.state, 'stopped');
      assert.equal(transport.sockets.length, 1, `no reconnect after ${code}`);
      client.wake();
      assert.equal(transport.sockets.length, 1, 'wake does not undo a stop');
    } else {
      assert.equal(stopped.length, 0, `code ${code}`);
      assert.equal(transport.sockets.length, 2, `reconnect after ${code}`);
    }
    client.close();
  }
});

test('request ids differ across starts of the app (the server keys a `create` retry by user and rid)', async () => {
  const rids = [];
  for (let start = 0; start < 2; start++) {
    const { transport, client } = setup([0]); // the same injected random each time, as after a restart
    client.connect();
    transport.sockets[0].h.onMessage(welcome());
    client.createRoom('Tea room').catch(() => {});
    rids.push(transport.sockets[0].sent.find((f) => f.type === 'create').rid);
    client.close();
  }
  assert.notEqual(rids[0], rids[1]);
});

test('requests made while offline wait for the connection and time out if it never comes', async () => {
  const { transport, client, clock } = setup([0]);
  client.connect();
  const rooms = client.rooms();
  const late = client.members('r:lobby');
  transport.sockets[0].h.onMessage(welcome());
  const sent = transport.sockets[0].sent;
  assert.deepEqual(sent.map((f) => f.type), ['rooms', 'members']);
  transport.sockets[0].h.onMessage(JSON.stringify({ type: 'rooms', rid: sent[0].rid, rooms: [{ conv: 'r:lobby' }] }));
  assert.deepEqual(await rooms, [{ conv: 'r:lobby' }]);
  transport.sockets[0].h.onMessage(JSON.stringify({ type: 'error', rid: sent[1].rid, code: 'not_found', message: 'no', retry: false }));
  await assert.rejects(late, (e) => e.code === 'not_found' && e.retry === false);
  transport.sockets[0].h.onClose(4001);
  const waiting = client.rooms();
  clock.advance(15000);
  await assert.rejects(waiting, (e) => e.code === 'timeout');
  client.close();
});

test('a room joined or left on another device: `joined` / `left` events, and client.conversations follows', async () => {
  const { transport, client } = setup([0]);
  client.connect();
  const s0 = transport.sockets[0];
  s0.h.onMessage(JSON.stringify({ type: 'welcome', user: { id: 'u1' }, conversations: [{ conv: 'r:lobby', lastSeq: 0 },
    { conv: 'r:old', name: 'Old', lastSeq: 4 }], heartbeatSeconds: 25 }));
  const seen = [];
  client.on('joined', (f) => seen.push(`joined ${f.conv}`));
  client.on('left', (f) => seen.push(`left ${f.conv}`));
  s0.h.onMessage(JSON.stringify({ type: 'joined', conv: 'r:new', name: 'New', online: 2, lastSeq: 7 }));
  s0.h.onMessage(JSON.stringify({ type: 'left', conv: 'r:old' }));
  assert.deepEqual(seen, ['joined r:new', 'left r:old']);
  assert.deepEqual([...client.conversations.keys()].sort(), ['r:lobby', 'r:new']);
  assert.equal(client.conversations.get('r:new').lastSeq, 7);
  client.close();
});

test('pairStarted adds an active pair conversation; one again for a known session keeps its last seq', async () => {
  const { transport, client } = setup([0]);
  client.connect();
  const s0 = transport.sockets[0];
  s0.h.onMessage(JSON.stringify({ type: 'welcome', user: { id: 'u1' }, conversations: [{ conv: 'r:lobby', lastSeq: 0 },
    { conv: 'p:known', peer: { id: 'u2' }, active: true, lastSeq: 5 }], heartbeatSeconds: 25 }));
  s0.h.onMessage(JSON.stringify({ type: 'pairStarted', conv: 'p:known', peer: { id: 'u2', nickname: 'Bo' } }));
  s0.h.onMessage(JSON.stringify({ type: 'pairStarted', conv: 'p:new', peer: { id: 'u3', nickname: 'Cy' } }));
  assert.equal(client.conversations.get('p:known').lastSeq, 5);
  assert.equal(client.conversations.get('p:known').active, true);
  assert.deepEqual(client.conversations.get('p:new'), { conv: 'p:new', name: 'Cy', peer: { id: 'u3', nickname: 'Cy' }, active: true, lastSeq: 0 });
  client.close();
});

test('events without rid are emitted; replies resolve their command only; markRead defaults to the newest delivered seq', async () => {
  const { transport, client } = setup([0]);
  client.connect();
  const s0 = transport.sockets[0];
  s0.h.onMessage(JSON.stringify({ type: 'welcome', user: { id: 'u1' }, conversations: [{ conv: 'r:lobby', lastSeq: 0 }], heartbeatSeconds: 25 }));
  const seen = [];
  for (const name of ['presence', 'online', 'memberJoined', 'pairRequested', 'pairEnded', 'read', 'recalled', 'typing']) {
    client.on(name, (f) => seen.push(f.type));
  }
  for (const type of ['presence', 'online', 'memberJoined', 'pairRequested', 'pairEnded', 'typing']) s0.h.onMessage(JSON.stringify({ type, conv: 'r:lobby' }));
  s0.h.onMessage(JSON.stringify({ type: 'read', rid: 'not-ours', conv: 'r:lobby', seq: 1 })); // a reply, not an event
  s0.h.onMessage(JSON.stringify({ type: 'message', conv: 'r:lobby', seq: 1, from: { id: 'u2' }, body: 'x' }));
  s0.h.onMessage(JSON.stringify({ type: 'message', conv: 'r:lobby', seq: 2, from: { id: 'u2' }, body: 'y' }));
  assert.deepEqual(seen, ['presence', 'online', 'memberJoined', 'pairRequested', 'pairEnded', 'typing']);
  const read = client.markRead('r:lobby');
  const frame = s0.sent.at(-1);
  assert.deepEqual({ type: frame.type, conv: frame.conv, seq: frame.seq }, { type: 'read', conv: 'r:lobby', seq: 2 });
  s0.h.onMessage(JSON.stringify({ type: 'read', rid: frame.rid, conv: 'r:lobby', seq: 2, unread: 0 }));
  assert.equal((await read).unread, 0);
  assert.deepEqual(seen.length, 6, 'the reply is not an event');
  client.close();
});
