// Integration test against the real system (gateway + chat + history + auth):
//   WXIM_BASE_URL=http://127.0.0.1:19080 node --test test/integration.mjs
// It fails (does not skip) without WXIM_BASE_URL. Needs dev login enabled (local runs) and, for the encrypted client,
// payload encryption on (GET /api/auth/keys).
import test from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import WebSocket from 'ws';
import { createClient, webSocketTransport, memoryStorage } from '../wxim.mjs';
import samples from './media-samples.cjs';

const BASE = process.env.WXIM_BASE_URL;
const STEP_MS = 10000;
const run = Math.random().toString(36).slice(2, 8);

/** A WebSocket class that remembers its sockets (to cut one like a network failure) and the raw frames received. */
function trackedWebSocket() {
  const sockets = [];
  const raw = [];
  class Tracked extends WebSocket {
    constructor(...args) {
      super(...args);
      sockets.push(this);
      this.on('message', (d) => raw.push(d.toString()));
    }
  }
  return { Tracked, sockets, raw };
}

function newUser(name, extra = {}) {
  const ws = trackedWebSocket();
  const client = createClient({ baseUrl: BASE, transport: webSocketTransport(ws.Tracked), storage: memoryStorage(), ...extra });
  const inbox = [];
  client.on('message', (m) => inbox.push(m));
  return { client, inbox, ws, nickname: `${name}-${run}` };
}

async function within(promise, what, ms = STEP_MS) {
  let timer;
  const limit = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(check, what, ms = STEP_MS) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const online = (u) => (u.client.state === 'online' ? null : within(u.client.once('state', (s) => s.state === 'online'), `${u.nickname} online`));

const { png, wav } = samples;

test('the SDK against the real system', { timeout: 120000 }, async (t) => {
  assert.ok(BASE, 'set WXIM_BASE_URL (e.g. http://127.0.0.1:19080) to the running system');
  const alice = newUser('alice');
  const bob = newUser('bob');
  const all = [alice, bob];
  try {
    await within(alice.client.devLogin(alice.nickname), 'alice login');
    await within(bob.client.devLogin(bob.nickname), 'bob login');
    alice.client.connect();
    bob.client.connect();
    await online(alice);
    await online(bob);
    let room;

    await t.test('room create/join and messages both ways with acks and seq', async () => {
      const joined = await within(alice.client.createRoom(`sdk ${run}`), 'create');
      room = joined.conv;
      assert.match(room, /^r:/);
      const memberJoined = within(alice.client.once('memberJoined', (e) => e.conv === room), 'memberJoined');
      await within(bob.client.join(room), 'join');
      assert.equal((await memberJoined).user.id, bob.client.user.id);
      assert.ok((await within(bob.client.rooms(), 'rooms')).some((r) => r.conv === room && r.member));
      const a1 = await within(alice.client.sendText(room, 'hello bob'), 'ack 1');
      assert.equal(a1.seq, 1);
      const b1 = await within(bob.client.sendText(room, 'hello alice'), 'ack 2');
      assert.equal(b1.seq, 2);
      await until(() => bob.inbox.filter((m) => m.conv === room).length === 2, 'bob has 2');
      await until(() => alice.inbox.filter((m) => m.conv === room).length === 2, 'alice has 2');
      assert.deepEqual(bob.inbox.filter((m) => m.conv === room).map((m) => [m.seq, m.body]), [[1, 'hello bob'], [2, 'hello alice']]);
      const members = await within(alice.client.members(room), 'members');
      assert.ok(members.some((m) => m.id === bob.client.user.id));
      const read = await within(bob.client.markRead(room), 'read');
      assert.equal(read.seq, 2);
      assert.equal(read.unread, 0);
      const status = await within(alice.client.status(bob.client.user.id), 'status');
      assert.equal(status.status, 'online');
    });

    await t.test('a second device of the same user follows a room joined and left on the first (joined / left events)', async () => {
      const phone = newUser('alice');
      all.push(phone);
      await within(phone.client.devLogin(alice.nickname), 'alice login on her phone');
      assert.equal(phone.client.user.id, alice.client.user.id);
      phone.client.connect();
      await online(phone);
      const other = await within(bob.client.createRoom(`other ${run}`), 'bob creates a room');
      const joinedThere = within(phone.client.once('joined', (e) => e.conv === other.conv), 'joined on the phone');
      await within(alice.client.join(other.conv), 'alice joins');
      assert.equal((await joinedThere).name, `other ${run}`);
      assert.ok(phone.client.conversations.has(other.conv));
      const leftThere = within(phone.client.once('left', (e) => e.conv === other.conv), 'left on the phone');
      await within(alice.client.leave(other.conv), 'alice leaves');
      await leftThere;
      assert.ok(!phone.client.conversations.has(other.conv), 'gone from the phone\'s list');
      await within(bob.client.sendText(other.conv, 'after alice left'), 'bob sends');
      await within(phone.client.members('r:lobby'), 'a round trip on the phone'); // the push, if any, would be here by now
      assert.ok(!phone.inbox.some((m) => m.conv === other.conv), 'no message of the left room on the phone');
      phone.client.close();
    });

    await t.test('a direct message to a user id; typing and recall in it', async () => {
      const ack = await within(alice.client.sendText(bob.client.user.id, 'just you'), 'dm ack');
      assert.match(ack.conv, /^d:[0-9a-f]{40}$/);
      await until(() => bob.inbox.some((m) => m.conv === ack.conv && m.body === 'just you'), 'bob got the dm');
      const typing = within(bob.client.once('typing', (e) => e.conv === ack.conv), 'typing');
      alice.client.typing(ack.conv);
      assert.equal((await typing).user.id, alice.client.user.id);
      const recalled = within(bob.client.once('recalled', (e) => e.conv === ack.conv), 'recalled event');
      await within(alice.client.recall(ack.conv, ack.seq), 'recall');
      assert.equal((await recalled).seq, ack.seq);
      // the stored recall notice takes the next seq; it is delivered as `recalled`, never as a message
      await until(() => bob.client.lastSeq(ack.conv) === ack.seq + 1, 'the recall notice delivered');
      assert.ok(!bob.inbox.some((m) => m.kind === 'recall'), 'no notice among the messages');
    });

    await t.test('image upload + sendImage, received with a working signed thumbnail URL', async () => {
      const upload = await within(alice.client.uploadMedia(png(64, 48), { filename: 'x.png', contentType: 'image/png' }), 'upload');
      assert.equal(upload.kind, 'image');
      assert.equal(upload.width, 64);
      const ack = await within(alice.client.sendImage(room, upload.id), 'image ack');
      await until(() => bob.inbox.some((m) => m.conv === room && m.seq === ack.seq), 'bob got the image');
      const m = bob.inbox.find((x) => x.conv === room && x.seq === ack.seq);
      assert.equal(m.kind, 'image');
      assert.ok(m.media.thumbUrl, 'has a thumbnail link');
      const thumb = await fetch(bob.client.resolveUrl(m.media.thumbUrl)); // signed: no token needed
      assert.equal(thumb.status, 200);
      assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
      assert.ok((await thumb.arrayBuffer()).byteLength > 100);
      const links = await within(bob.client.mediaUrl(upload.id, room), 'fresh links');
      const file = await fetch(links.url);
      assert.equal(file.status, 200);
      assert.equal(Buffer.from(await file.arrayBuffer()).subarray(1, 4).toString(), 'PNG');
    });

    await t.test('voice clip upload + sendAudio with its duration', async () => {
      const upload = await within(alice.client.uploadMedia(wav(8000, 0.5), { filename: 'v.wav', contentType: 'audio/wav' }), 'audio upload');
      assert.equal(upload.kind, 'audio');
      const ack = await within(alice.client.sendAudio(room, upload.id, 500), 'audio ack');
      await until(() => bob.inbox.some((m) => m.conv === room && m.seq === ack.seq), 'bob got the clip');
      const m = bob.inbox.find((x) => x.conv === room && x.seq === ack.seq);
      assert.equal(m.kind, 'audio');
      assert.equal(m.media.duration ?? m.duration, 500);
      const file = await fetch(bob.client.resolveUrl(m.media.url), { headers: { Range: 'bytes=0-3' } });
      assert.equal(file.status, 206);
      assert.equal(Buffer.from(await file.arrayBuffer()).toString(), 'RIFF');
    });

    await t.test('pairing: request, accept, chat, leave', async () => {
      const requested = within(bob.client.once('pairRequested'), 'pairRequested');
      const sent = await within(alice.client.pairRequest(bob.client.user.id), 'pairRequest');
      assert.equal(sent.to.id, bob.client.user.id);
      assert.equal((await requested).from.id, alice.client.user.id);
      assert.ok((await within(bob.client.pairPending(), 'pending')).some((r) => r.from.id === alice.client.user.id));
      const startedForAlice = within(alice.client.once('pairStarted'), 'pairStarted event');
      const started = await within(bob.client.pairAccept(alice.client.user.id), 'accept');
      assert.match(started.conv, /^p:/);
      assert.equal((await startedForAlice).conv, started.conv);
      await within(alice.client.sendText(started.conv, 'paired!'), 'pair message');
      await until(() => bob.inbox.some((m) => m.conv === started.conv && m.body === 'paired!'), 'bob got the pair message');
      const ended = within(bob.client.once('pairEnded'), 'pairEnded event');
      const left = await within(alice.client.pairLeave(started.conv), 'leave');
      assert.equal(left.reason, 'left');
      assert.equal((await ended).reason, 'peer_left');
      await assert.rejects(alice.client.sendText(started.conv, 'too late'), (e) => e.code === 'conflict');
    });

    await t.test('a forced reconnect (socket cut) resumes without loss or duplicates', async () => {
      const before = bob.inbox.filter((m) => m.conv === room).length;
      const reconnected = within(bob.client.once('welcome'), 'bob welcome again', 20000);
      bob.ws.sockets.at(-1).terminate(); // like a network failure: no close frame
      for (let i = 0; i < 3; i++) await within(alice.client.sendText(room, `while away ${i}`), 'send while bob is away');
      await reconnected;
      await online(bob);
      await until(() => bob.inbox.filter((m) => m.conv === room).length === before + 3, 'bob caught up');
      const seqs = bob.inbox.filter((m) => m.conv === room).map((m) => m.seq);
      assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'every seq once, in order');
      assert.equal(bob.ws.sockets.length, 2);
    });

    await t.test('an encrypted client chats with a plain one', async () => {
      const carol = newUser('carol', { secure: true, crypto: webcrypto });
      all.push(carol);
      await within(carol.client.devLogin(carol.nickname), 'carol login');
      carol.client.connect();
      await online(carol);
      await within(carol.client.join(room), 'carol joins');
      const fromAlice = await within(alice.client.sendText(room, 'to the sealed one'), 'alice to room');
      await until(() => carol.inbox.some((m) => m.seq === fromAlice.seq && m.body === 'to the sealed one'), 'carol got it');
      const ack = await within(carol.client.sendText(room, 'sealed hello'), 'carol ack');
      await until(() => alice.inbox.some((m) => m.conv === room && m.seq === ack.seq && m.body === 'sealed hello'), 'alice got it');
      const securedAt = carol.ws.raw.findIndex((r) => r.includes('"type":"secured"'));
      assert.ok(securedAt > 0, 'secured answered');
      const after = carol.ws.raw.slice(securedAt + 1);
      assert.ok(after.length > 0 && after.every((r) => r.startsWith('{"type":"sec"')), 'every frame after secured is sealed');
      assert.ok(!after.some((r) => r.includes('sealed hello')), 'no plaintext on the wire');
    });
  } finally {
    for (const u of all) u.client.close();
  }
});
