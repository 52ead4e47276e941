// Session changes (setSession with another user or a new pair) with a scripted transport, a fake clock and refresh
// calls the test answers by hand: a refresh belongs to the session that started it (`superseded` afterwards, never a
// stop of the new session, never its pair); an old connection's refused refresh does not orphan a newer one; queued
// commands of the previous user are dropped; `kept` vs `stopped`; a pair without `user` is known by its token's `sub`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createClient, memoryStorage } from '../wxim.mjs';
import { fakeClock, scriptedTransport } from './helpers.mjs';

const flush = () => new Promise((r) => setImmediate(r));
/** 'resolved', the rejection's code, or 'pending' if the promise has not settled by now. */
const settled = (p) => Promise.race([p.then(() => 'resolved', (e) => e.code || e.message), flush().then(() => 'pending')]);
const welcome = (user) => JSON.stringify({ type: 'welcome', user, conversations: [], heartbeatSeconds: 25 });
const sends = (socket) => socket.sent.filter((f) => f.type === 'send');
const pair = (n, user = 'u1') => ({ accessToken: `a${n}`, refreshToken: `r${n}`, expiresIn: 900, user: { id: user } });
/** An unsigned JWT-shaped token with this `sub` (the client only reads the claim). */
const jwt = (sub) => `e30.${Buffer.from(JSON.stringify({ sub, sid: 's1' })).toString('base64url')}.sig`;

function setup({ expiresIn = 900 } = {}) {
  const clock = fakeClock();
  const transport = scriptedTransport();
  const calls = []; // refresh calls: {token, answer(status, data)}
  const http = {
    request: (req) => new Promise((resolve) => calls.push({
      token: JSON.parse(req.body).refreshToken, answer: (status, data) => resolve({ status, data }),
    })),
  };
  const storage = memoryStorage();
  const client = createClient({
    baseUrl: 'http://127.0.0.1:1', transport, timers: clock, now: clock.now, random: () => 0.5, storage, http,
  });
  client.setSession({ ...pair(0), expiresIn });
  const stops = [];
  client.on('stopped', (e) => stops.push(e.code));
  return { clock, transport, client, storage, calls, stops, tokens: () => calls.map((c) => c.token) };
}

test('a refresh of the previous user refused after setSession(another user) does not stop the new session; its refresh() is its own', { timeout: 5000 }, async () => {
  const { clock, transport, client, stops, calls, tokens } = setup({ expiresIn: 90 });
  client.connect();
  transport.sockets[0].h.onMessage(welcome({ id: 'u1' }));
  clock.advance(30000); // the refresh timer (90 s - 60 s margin): u1's call, on its way
  assert.deepEqual(tokens(), ['r0']);
  client.setSession(pair(1, 'u2'));
  const s1 = transport.sockets[1];
  s1.h.onMessage(welcome({ id: 'u2' }));
  const mine = client.refresh();
  assert.deepEqual(tokens(), ['r0', 'r1'], 'u2 presents its own refresh token, in a call of its own');
  calls[0].answer(401, { title: 'refresh token revoked' });
  await flush();
  assert.deepEqual(stops, [], 'u1\'s refusal does not stop u2');
  assert.equal(client.state, 'online');
  assert.equal(s1.closed, null);
  calls[1].answer(200, pair(2, 'u2'));
  assert.equal((await mine).accessToken, 'a2');
  assert.deepEqual([client.session.accessToken, client.user.id], ['a2', 'u2']);
  client.close();
});

test('a reconnect waiting for the old pair\'s refresh when the same user logs in again: the refusal does not stop, the socket uses the new pair', { timeout: 5000 }, async () => {
  const { transport, client, stops, calls, tokens } = setup({ expiresIn: 20 }); // expiring: _open refreshes first
  client.connect();
  assert.deepEqual(tokens(), ['r0']);
  client.setSession(pair(1)); // same user, new pair
  calls[0].answer(401, { title: 'no' });
  await flush();
  assert.deepEqual(stops, []);
  assert.deepEqual(transport.sockets.map((s) => s.token), ['a1']);
  client.close();
});

test('a refresh answered after setSession rejects with `superseded`; its pair is never applied; the new pair refreshes on its own', { timeout: 5000 }, async () => {
  const { client, calls, tokens } = setup();
  const old = client.refresh();
  client.setSession(pair(1));
  const sessions = [];
  client.on('session', (s) => sessions.push(s.accessToken));
  const mine = client.refresh();
  assert.deepEqual(tokens(), ['r0', 'r1']);
  calls[0].answer(200, pair(9));
  assert.equal(await settled(old), 'superseded');
  assert.equal(client.session.accessToken, 'a1');
  assert.deepEqual(sessions, []);
  assert.equal(await settled(mine), 'pending');
  calls[1].answer(200, pair(2));
  assert.equal((await mine).accessToken, 'a2');
  assert.deepEqual(sessions, ['a2']);
});

test('a refused refresh of a connection closed meanwhile does not orphan the newer live connection', { timeout: 5000 }, async () => {
  const { clock, transport, client, stops, calls, tokens } = setup();
  client.connect();
  for (let i = 0; i < 3; i++) { // three refused handshakes: the fourth attempt refreshes first
    transport.sockets[i].h.onClose(1006);
    clock.advance(1000);
  }
  assert.deepEqual(tokens(), ['r0']);
  assert.equal(transport.sockets.length, 3);
  client.close();
  client.connect(); // failures: 4, a fresh token: straight to the socket
  const s3 = transport.sockets[3];
  s3.h.onMessage(welcome({ id: 'u1' }));
  assert.equal(client.state, 'online');
  calls[0].answer(401, { title: 'no' });
  await flush();
  assert.deepEqual(stops, []);
  assert.equal(client.state, 'online');
  client.ping().catch(() => {});
  assert.equal(s3.sent.filter((f) => f.type === 'ping').length, 1, 'a command goes out on s3');
  client.close();
  assert.deepEqual(s3.closed, { code: 1000, reason: 'client closed' }, 'still the client\'s connection');
});

test('commands waiting for a connection are dropped (`stopped`) when another user\'s session is set, not sent as that user', { timeout: 5000 }, async () => {
  const { transport, client } = setup();
  client.connect(); // handshaking: commands wait
  const join = client.join('r:a');
  const read = client.markRead('r:a', 3);
  client.setSession(pair(1, 'u2'));
  assert.equal(await settled(join), 'stopped');
  assert.equal(await settled(read), 'stopped');
  const s1 = transport.sockets[1];
  s1.h.onMessage(welcome({ id: 'u2' }));
  client.join('r:b').catch(() => {});
  assert.deepEqual(s1.sent.filter((f) => f.type === 'join' || f.type === 'read').map((f) => f.conv), ['r:b']);
  client.close();
});

test('`kept` (stored, sent when its user connects again, reported by `ack`) vs `stopped` (not stored)', { timeout: 5000 }, async () => {
  const { clock, transport, client, storage } = setup();
  client.connect();
  const s0 = transport.sockets[0];
  s0.h.onMessage(welcome({ id: 'u1' }));
  const a = client.sendText('r:a', 'one');
  clock.advance(1); // cmids differ by time (random is fixed here)
  s0.h.onClose(4501, 'session revoked');
  assert.equal(await settled(a), 'kept');
  const b = client.sendText('r:a', 'two');
  assert.equal(await settled(b), 'stopped');
  assert.deepEqual(client.pending().map((f) => f.cmid), [a.cmid], 'b is not stored');

  client.setSession(pair(1)); // u1 again
  client.connect();
  transport.sockets[1].h.onMessage(welcome({ id: 'u1' }));
  clock.advance(1);
  const c = client.sendText('r:a', 'three');
  client.setSession(pair(2, 'u2'));
  assert.equal(await settled(c), 'kept');
  assert.deepEqual(JSON.parse(storage.get('wxim:u1:outbox')).map((f) => f.cmid), [a.cmid, c.cmid], 'under u1\'s key');
  const s2 = transport.sockets[2];
  s2.h.onMessage(welcome({ id: 'u2' }));
  assert.deepEqual(sends(s2), [], 'not sent as u2');

  const acks = [];
  client.on('ack', (f) => acks.push(f.cmid));
  client.setSession(pair(3)); // u1 once more: its kept sends go out
  const s3 = transport.sockets[3];
  s3.h.onMessage(welcome({ id: 'u1' }));
  assert.deepEqual(sends(s3).map((f) => f.cmid), [a.cmid, c.cmid]);
  for (const [i, cmid] of [a.cmid, c.cmid].entries()) {
    s3.h.onMessage(JSON.stringify({ type: 'ack', cmid, conv: 'r:a', seq: i + 1, id: `m${i}`, ts: 1 }));
  }
  assert.deepEqual(acks, [a.cmid, c.cmid]);
  assert.equal(storage.get('wxim:u1:outbox'), null);
  client.close();
});

test('a pair without `user` belongs to its token\'s `sub`: another user closes the socket, the same user keeps the profile', { timeout: 5000 }, async () => {
  const { transport, client } = setup();
  client.connect();
  const s0 = transport.sockets[0];
  s0.h.onMessage(welcome({ id: 'u1', nickname: 'Ann' }));
  client.setSession({ accessToken: jwt('u1'), refreshToken: 'r1', expiresIn: 900 });
  assert.deepEqual(client.user, { id: 'u1', nickname: 'Ann' });
  assert.equal(s0.closed, null, 'same user: same connection');
  const theirs = client.sendText('r:a', 'from u1');
  client.setSession({ accessToken: jwt('u2'), refreshToken: 'r2', expiresIn: 900 });
  assert.deepEqual(client.user, { id: 'u2' }, 'nothing of u1\'s profile');
  assert.deepEqual(s0.closed, { code: 1000, reason: 'another user' });
  assert.equal(await settled(theirs), 'kept');
  assert.deepEqual(transport.sockets.map((s) => s.token), ['a0', jwt('u2')]);
  client.close();
});
