// Stops, user changes, limits and timeouts with a scripted transport and a fake clock: a stop closes the socket and
// settles every send promise (`kept`: the sends stay stored); another user's session closes the socket; frames over the
// gateway's 64 KB limit are refused before they are stored; `retryAfter` is honoured; every HTTP call has a
// timeout; a connection never keeps a token that expires.
import test from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { createClient, fetchHttp, memoryStorage, WximError } from '../wxim.mjs';
import { fakeClock, scriptedTransport } from './helpers.mjs';

const flush = () => new Promise((r) => setImmediate(r));
/** 'resolved', the rejection's code, or 'pending' if the promise has not settled by now. */
const settled = (p) => Promise.race([p.then(() => 'resolved', (e) => e.code || e.message), flush().then(() => 'pending')]);
const welcome = () => JSON.stringify({ type: 'welcome', user: { id: 'u1' }, conversations: [], heartbeatSeconds: 25 });
const sends = (socket) => socket.sent.filter((f) => f.type === 'send');
const pair = (n, user = 'u1') => ({ accessToken: `a${n}`, refreshToken: `r${n}`, expiresIn: 900, user: { id: user } });

function setup({ http, expiresIn = 900, storage = memoryStorage(), ...extra } = {}) {
  const clock = fakeClock();
  const transport = scriptedTransport();
  const calls = [];
  const client = createClient({
    baseUrl: 'http://127.0.0.1:1', transport, timers: clock, now: clock.now, random: () => 0.5, storage,
    http: http || { request: async (req) => { calls.push(req.url); return { status: 200, data: pair(calls.length) }; } },
    ...extra,
  });
  client.setSession({ ...pair(0), expiresIn });
  return { clock, transport, client, storage, calls };
}

async function online(client, transport) {
  client.connect();
  await flush();
  const socket = transport.sockets.at(-1);
  socket.h.onMessage(welcome());
  assert.equal(client.state, 'online');
  return socket;
}

test('a stop (4501) rejects the pending sends with `kept` and keeps them; the same user sends them on the next connect', { timeout: 5000 }, async () => {
  const { transport, client, storage } = setup();
  const s0 = await online(client, transport);
  const kept = client.sendText('r:a', 'kept');
  s0.h.onClose(4501, 'session revoked');
  assert.equal(client.state, 'stopped');
  assert.equal(await settled(kept), 'kept');
  assert.deepEqual(client.pending().map((f) => f.cmid), [kept.cmid]);
  assert.match(storage.get('wxim:u1:outbox'), new RegExp(kept.cmid));
  const late = client.sendText('r:a', 'after the stop');
  assert.equal(await settled(late), 'stopped');
  assert.equal(client.pending().length, 1, 'not stored');

  const acks = [];
  client.on('ack', (a) => acks.push(a.cmid));
  const s1 = await online(client, transport);
  assert.deepEqual(sends(s1).map((f) => f.cmid), [kept.cmid]);
  s1.h.onMessage(JSON.stringify({ type: 'ack', cmid: kept.cmid, conv: 'r:a', seq: 1, id: 'm1', ts: 1 }));
  assert.deepEqual(acks, [kept.cmid], 'reported by the `ack` event');
  assert.deepEqual(client.pending(), []);
  client.close();
});

test('a refused refresh stops the client and closes its socket (no more pings); connect() opens a new one', { timeout: 5000 }, async () => {
  const { clock, transport, client } = setup({ http: { request: async () => ({ status: 401, data: { title: 'no' } }) }, expiresIn: 90 });
  const s0 = await online(client, transport);
  const stopped = [];
  client.on('stopped', (e) => stopped.push(e.code));
  clock.advance(30000); // the refresh timer: 90 s - 60 s margin
  await flush();
  assert.deepEqual(stopped, [4500]);
  assert.deepEqual(s0.closed, { code: 1000, reason: 'client stopped' });
  const pings = s0.sent.filter((f) => f.type === 'ping').length;
  clock.advance(20000); // past the next heartbeat
  assert.equal(s0.sent.filter((f) => f.type === 'ping').length, pings, 'no heartbeat on a stopped client');
  client.setSession(pair(5)); // logged in again
  client.connect();
  await flush();
  assert.equal(transport.sockets.length, 2);
  client.close();
});

test('another user\'s session rejects the previous user\'s send promises with `kept` (stored for them) and closes the socket', { timeout: 5000 }, async () => {
  const { transport, client, storage } = setup();
  const s0 = await online(client, transport);
  const theirs = client.sendText('r:a', 'from u1');
  client.setSession(pair(1, 'u2'));
  assert.equal(await settled(theirs), 'kept');
  assert.match(storage.get('wxim:u1:outbox'), new RegExp(theirs.cmid));
  assert.deepEqual(s0.closed, { code: 1000, reason: 'another user' });
  await flush();
  assert.equal(transport.sockets.length, 2, 'reconnected at once');
  assert.equal(transport.sockets[1].token, 'a1');
  client.sendText('r:a', 'from u2');
  assert.equal(sends(s0).length, 1, 'nothing of u2 on u1\'s socket');
  transport.sockets[1].h.onMessage(JSON.stringify({ type: 'welcome', user: { id: 'u2' }, conversations: [], heartbeatSeconds: 25 }));
  assert.deepEqual(sends(transport.sockets[1]).map((f) => f.body), ['from u2']);
  client.close();
});

test('a frame over 64 KB (UTF-8 bytes; sealed size in encrypted mode) is refused with too_large and never stored or sent', { timeout: 5000 }, async () => {
  const { transport, client, storage } = setup();
  const s0 = await online(client, transport);
  const big = client.sendText('r:a', 'é'.repeat(33000)); // 33,000 characters, 66,000 bytes
  assert.equal(await settled(big), 'too_large');
  await big.catch((e) => assert.ok(e instanceof WximError && e.retry === false));
  assert.equal(typeof big.cmid, 'string');
  assert.deepEqual(client.pending(), []);
  assert.equal(storage.get('wxim:u1:outbox'), null);
  assert.equal(sends(s0).length, 0);
  assert.equal(await settled(client.createRoom('x'.repeat(70000))), 'too_large');
  assert.equal(s0.sent.filter((f) => f.type === 'create').length, 0);
  client.sendText('r:a', 'é'.repeat(32000)); // 64,000 bytes: fits
  assert.equal(sends(s0).length, 1);
  client.sendText('r:a', 'x'.repeat(50000));
  assert.equal(sends(s0).length, 2, 'plaintext: 50 KB fits');

  const sealed = setup({ secure: true, crypto: webcrypto }).client;
  assert.equal(await settled(sealed.sendText('r:a', 'x'.repeat(50000))), 'too_large', 'base64 of it does not');
  assert.deepEqual(sealed.pending(), []);
  client.close();
});

test('a stored send over the limit (from an older version) fails with `failed` on connect instead of blocking the outbox', { timeout: 5000 }, async () => {
  const storage = memoryStorage();
  storage.set('wxim:u1:outbox', JSON.stringify([
    { type: 'send', cmid: 'big', conv: 'r:a', body: 'x'.repeat(70000) },
    { type: 'send', cmid: 'small', conv: 'r:a', body: 'hi' },
  ]));
  const { transport, client } = setup({ storage });
  const failed = [];
  client.on('failed', (f) => failed.push([f.cmid, f.error.code]));
  const s0 = await online(client, transport);
  assert.deepEqual(failed, [['big', 'too_large']]);
  assert.deepEqual(sends(s0).map((f) => f.cmid), ['small']);
  assert.deepEqual(JSON.parse(storage.get('wxim:u1:outbox')).map((f) => f.cmid), ['small']);
  client.close();
});

test('a retryable send error waits at least its retryAfter before the resend', { timeout: 5000 }, async () => {
  const { clock, transport, client } = setup();
  const s0 = await online(client, transport);
  client.sendText('r:a', 'hi');
  const { cmid } = sends(s0)[0];
  s0.h.onMessage(JSON.stringify({ type: 'error', cmid, code: 'rate_limited', message: 'slow down', retry: true, retryAfter: 5000 }));
  clock.advance(4999);
  assert.equal(sends(s0).length, 1);
  clock.advance(1);
  assert.deepEqual(sends(s0).map((f) => f.cmid), [cmid, cmid]);
  client.close();
});

test('a refresh that hangs inside a reconnect times out and the client goes on connecting', { timeout: 5000 }, async () => {
  const { clock, transport, client } = setup({ http: { request: () => new Promise(() => {}) }, expiresIn: 20 });
  client.connect(); // the token expires within refreshMarginMs / 2: refresh first
  clock.advance(14999);
  await flush();
  assert.equal(transport.sockets.length, 0);
  assert.equal(client.state, 'connecting');
  clock.advance(1);
  await flush();
  assert.equal(transport.sockets.length, 1, 'the socket is tried with the current token');
  client.close();
});

test('REST calls and uploads time out; a timed-out refresh is never sent twice and its late answer is used', { timeout: 5000 }, async () => {
  const calls = [];
  const http = {
    request: (req) => new Promise((resolve) => calls.push({ url: req.url, resolve })),
    upload: () => new Promise(() => {}),
  };
  const { clock, client } = setup({ http });
  const page = client.history('r:a');
  clock.advance(15000);
  const error = await Promise.race([page.catch((e) => e), flush().then(() => 'pending')]);
  assert.ok(error instanceof WximError && error.code === 'timeout' && error.retry, String(error));
  const upload = client.uploadMedia(new Uint8Array(3));
  clock.advance(119999);
  assert.equal(await settled(upload), 'pending');
  clock.advance(1);
  assert.equal(await settled(upload), 'timeout');

  const first = client.refresh();
  clock.advance(15000);
  assert.equal(await settled(first), 'timeout');
  const second = client.refresh();
  assert.equal(calls.filter((c) => c.url.endsWith('/api/auth/refresh')).length, 1, 'the refresh token is presented once');
  calls.at(-1).resolve({ status: 200, data: pair(7) });
  assert.equal((await second).accessToken, 'a7');
  assert.equal(client.session.accessToken, 'a7');
});

test('connect() after close() re-arms the token refresh', { timeout: 5000 }, async () => {
  const { clock, transport, client, calls } = setup({ expiresIn: 90 });
  await online(client, transport);
  client.close();
  const s1 = await online(client, transport);
  clock.advance(30000); // 90 s - 60 s margin
  await flush();
  assert.deepEqual(calls, ['http://127.0.0.1:1/api/auth/refresh']);
  assert.deepEqual(s1.sent.filter((f) => f.type === 'auth').map((f) => f.token), ['a1']);
  client.close();
});

test('a refresh while the connection is still handshaking: `auth` with the new token once it is ready', { timeout: 5000 }, async () => {
  const { transport, client } = setup();
  client.connect();
  await flush();
  const s0 = transport.sockets[0];
  assert.equal(s0.token, 'a0');
  await client.refresh();
  assert.deepEqual(s0.sent, [], 'not ready: nothing sent yet');
  s0.h.onMessage(welcome());
  assert.deepEqual(s0.sent.filter((f) => f.type === 'auth').map((f) => f.token), ['a1']);
  client.close();
});

test('an `auth` the gateway could not check (`unavailable`) is sent again after a backoff, a refused one is not', { timeout: 5000 }, async () => {
  const { clock, transport, client } = setup();
  const s0 = await online(client, transport);
  const errors = [];
  client.on('error', (e) => errors.push(e.code));
  await client.refresh();
  const auths = () => s0.sent.filter((f) => f.type === 'auth');
  assert.equal(auths().length, 1);
  s0.h.onMessage(JSON.stringify({ type: 'error', rid: auths()[0].rid, code: 'unavailable', message: 'not checked', retry: true }));
  await flush();
  assert.equal(auths().length, 1, 'not at once');
  clock.advance(1000); // the first backoff (within the request timeout: an unanswered `auth` is retried too)
  await flush();
  assert.deepEqual(auths().map((f) => f.token), ['a1', 'a1'], 'the same token again');
  assert.deepEqual(errors, []);
  s0.h.onMessage(JSON.stringify({ type: 'error', rid: auths()[1].rid, code: 'unauthorized', message: 'refused', retry: false }));
  await flush();
  clock.advance(60000);
  await flush();
  assert.equal(auths().length, 2, `a refused token is not sent again: ${JSON.stringify(auths())}`);
  assert.deepEqual(errors, ['unauthorized']);
  client.close();
});

/** An http adapter that answers the refresh calls in turn from `statuses` (200: a new pair) and logs their tokens. */
function refreshAnswers(statuses, clock) {
  const start = clock.now();
  const refreshes = [];
  const http = {
    request: async (req) => {
      if (req.url.endsWith('/api/auth/refresh')) {
        const answer = statuses[Math.min(refreshes.length, statuses.length - 1)];
        refreshes.push({ token: JSON.parse(req.body).refreshToken, at: clock.now() - start });
        if (answer === 'hang') return new Promise(() => {});
        const { status, headers } = typeof answer === 'object' ? answer : { status: answer };
        return status === 200 ? { status, data: pair(refreshes.length) } : { status, headers, data: { title: 'lost' } };
      }
      return req.headers.Authorization === 'Bearer a0' ? { status: 401, data: {} } : { status: 200, data: { messages: [] } };
    },
  };
  return { http, refreshes };
}

test('a refresh call that ended without a pair is tried again within the server\'s grace, whoever asked (a REST 401 here)', { timeout: 5000 }, async () => {
  const clock = fakeClock();
  const { http, refreshes } = refreshAnswers([504, 200], clock);
  const client = createClient({ baseUrl: 'http://127.0.0.1:1', transport: scriptedTransport(), timers: clock, now: clock.now,
    random: () => 0.5, storage: memoryStorage(), http });
  client.setSession(pair(0));
  const page = client.history('r:a'); // 401 -> refresh -> 504 (rotated on the server? its answer is lost)
  assert.equal(await page.then(() => 'resolved', (e) => e.status), 504);
  assert.deepEqual(refreshes, [{ token: 'r0', at: 0 }]);
  clock.advance(4999);
  await flush();
  assert.equal(refreshes.length, 1, 'not at once');
  clock.advance(1);
  await flush();
  assert.deepEqual(refreshes, [{ token: 'r0', at: 0 }, { token: 'r0', at: 5000 }], 'the same token again, 5 s later');
  assert.equal(client.session.accessToken, 'a2', 'the retry\'s pair is the session');
  clock.advance(600000);
  await flush();
  assert.equal(refreshes.length, 2, 'nothing more until the next scheduled refresh');
});

test('the retries of a failed refresh call stop after 20 s; a refusal is never retried', { timeout: 5000 }, async () => {
  const clock = fakeClock();
  const { http, refreshes } = refreshAnswers([503], clock);
  const client = createClient({ baseUrl: 'http://127.0.0.1:1', transport: scriptedTransport(), timers: clock, now: clock.now,
    random: () => 0.5, storage: memoryStorage(), http });
  client.setSession(pair(0));
  await client.refresh().catch(() => {});
  for (let i = 0; i < 24; i++) {
    clock.advance(5000);
    await flush();
  }
  assert.deepEqual(refreshes.map((r) => r.at), [0, 5000, 10000, 15000, 20000]);

  const refusedClock = fakeClock();
  const refusal = refreshAnswers([401], refusedClock);
  const refusedClient = createClient({ baseUrl: 'http://127.0.0.1:1', transport: scriptedTransport(), timers: refusedClock,
    now: refusedClock.now, random: () => 0.5, storage: memoryStorage(), http: refusal.http });
  refusedClient.setSession(pair(0));
  assert.equal(await refusedClient.refresh().then(() => 'resolved', (e) => e.status), 401);
  refusedClock.advance(60000);
  await flush();
  assert.equal(refusal.refreshes.length, 1);
});

test('a retried refresh refused on a started client stops it (log in again)', { timeout: 5000 }, async () => {
  const clock = fakeClock();
  const transport = scriptedTransport();
  const { http, refreshes } = refreshAnswers([504, 401], clock);
  const client = createClient({ baseUrl: 'http://127.0.0.1:1', transport, timers: clock, now: clock.now,
    random: () => 0.5, storage: memoryStorage(), http });
  client.setSession(pair(0));
  await online(client, transport);
  await client.refresh().catch(() => {});
  clock.advance(5000);
  await flush();
  assert.equal(refreshes.length, 2);
  assert.equal(client.state, 'stopped');
});

function retryClient(statuses, transport = scriptedTransport()) {
  const clock = fakeClock();
  const { http, refreshes } = refreshAnswers(statuses, clock);
  const client = createClient({ baseUrl: 'http://127.0.0.1:1', transport, timers: clock, now: clock.now,
    random: () => 0.5, storage: memoryStorage(), http });
  client.setSession(pair(0));
  return { clock, client, refreshes, transport };
}

test('a refresh answered while another user\'s session is set in between is not applied (superseded)', { timeout: 5000 }, async () => {
  const clock = fakeClock();
  let answerRefresh;
  const http = { request: () => new Promise((resolve) => { answerRefresh = resolve; }) };
  const client = createClient({ baseUrl: 'http://127.0.0.1:1', transport: scriptedTransport(), timers: clock, now: clock.now,
    random: () => 0.5, storage: memoryStorage(), http });
  client.setSession(pair(0, 'alice'));
  const refreshed = client.refresh().then(() => 'resolved', (e) => e.code);
  answerRefresh({ status: 200, data: pair(1, 'alice') });
  queueMicrotask(() => client.setSession(pair(9, 'bob'))); // lands between the answer's handlers
  assert.equal(await refreshed, 'superseded');
  assert.equal(client.user.id, 'bob');
  assert.equal(client.session.refreshToken, 'r9');
});

test('a failed refresh call\'s retry: kept after close(), dropped for another session, joins a call on its way', { timeout: 5000 }, async () => {
  const closed = retryClient([504, 200]);
  await closed.client.refresh().catch(() => {});
  closed.client.close();
  closed.clock.advance(5000);
  await flush();
  assert.deepEqual(closed.refreshes.map((r) => r.token), ['r0', 'r0'], 'close() keeps the session: the retry goes out');

  const replaced = retryClient([504]);
  await replaced.client.refresh().catch(() => {});
  replaced.client.setSession(pair(5, 'u2'));
  assert.ok(replaced.clock.pending().every((ms) => ms > 600000), `only the new session's refresh timer: ${replaced.clock.pending()}`);
  replaced.clock.advance(60000);
  await flush();
  assert.equal(replaced.refreshes.length, 1, 'another session: no retry of the old token');

  const joined = retryClient([504, 'hang']);
  await joined.client.refresh().catch(() => {});
  joined.clock.advance(4000);
  const onItsWay = joined.client.refresh(); // started by something else 1 s before the retry
  joined.clock.advance(1000);
  await flush();
  assert.equal(joined.refreshes.length, 2, 'the retry joins the call on its way: the token is presented once more, not twice');
  onItsWay.catch(() => {});
});

test('a failed refresh call is retried after its Retry-After when that is longer than 5 s', { timeout: 5000 }, async () => {
  const { clock, client, refreshes } = retryClient([{ status: 503, headers: { 'retry-after': '8' } }, 200]);
  await client.refresh().catch(() => {});
  clock.advance(7999);
  await flush();
  assert.equal(refreshes.length, 1);
  clock.advance(1);
  await flush();
  assert.deepEqual(refreshes.map((r) => r.at), [0, 8000]);
  assert.equal(client.session.refreshToken, 'r2');
});

test('fetchHttp aborts a call that outlives its timeoutMs (a hung refresh no longer holds the single flight for good)', { timeout: 5000 }, async () => {
  const hung = (url, init) => new Promise((resolve, reject) => {
    init.signal.addEventListener('abort', () => reject(new Error('aborted')));
  });
  const http = fetchHttp(hung);
  const started = Date.now();
  await assert.rejects(http.request({ method: 'POST', url: 'http://127.0.0.1:1/api/auth/refresh', headers: {}, body: '{}', timeoutMs: 50 }), /aborted/);
  assert.ok(Date.now() - started < 2000);
  const plain = fetchHttp(async (url, init) => ({ status: 200, text: async () => String(!!init.signal), headers: { get: () => null } }));
  assert.equal((await plain.request({ method: 'GET', url: 'http://127.0.0.1:1/x', headers: {} })).data, false, 'no timeoutMs: no signal');
});

test('the retry window counts from when the first failed refresh call was sent, not from its failure (a call that hung)', { timeout: 5000 }, async () => {
  const clock = fakeClock();
  const calls = [];
  const http = { request: (req) => new Promise((resolve) => calls.push({ at: clock.now(), resolve })) };
  const client = createClient({ baseUrl: 'http://127.0.0.1:1', transport: scriptedTransport(), timers: clock, now: clock.now,
    random: () => 0.5, storage: memoryStorage(), http });
  client.setSession(pair(0));
  const start = clock.now();
  client.refresh().catch(() => {});
  clock.advance(12000);
  calls[0].resolve({ status: 504, data: {} }); // ended without a pair 12 s after it was sent
  for (let i = 0; i < 10; i++) {
    await flush();
    const last = calls.at(-1);
    if (last.settled === undefined && calls.length > 1) {
      last.settled = true;
      last.resolve({ status: 504, data: {} });
      await flush();
    }
    clock.advance(5000);
  }
  await flush();
  assert.deepEqual(calls.map((c) => c.at - start), [0, 17000, 22000], 'no retry 20 s or more after the first was sent');
});
