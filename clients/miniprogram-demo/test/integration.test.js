// The demo's pages against the real running system (not part of `npm test`):
//   WXIM_BASE_URL=http://127.0.0.1:19080 npm run test:integration
// It fails (does not skip) without WXIM_BASE_URL. Needs dev login on (local runs). Two shimmed apps: lobby chat both
// ways through the chat pages, a picture with a thumbnail that loads, a voice clip that plays, a direct message with
// recall, pairing accept/leave, and a resume after the socket is closed in the background.
const test = require('node:test');
const assert = require('node:assert/strict');
const { startApp, openPage, waitFor, devLogin, tap } = require('./harness');
const { png, wav } = require('../../js/test/media-samples.cjs');

const BASE = process.env.WXIM_BASE_URL;
const STEP_MS = 10000;
const run = Math.random().toString(36).slice(2, 8);

test('the mini-program pages against the real system', { timeout: 120000 }, async (t) => {
  assert.ok(BASE, 'set WXIM_BASE_URL (e.g. http://127.0.0.1:19080) to the running system');
  const server = { url: BASE };
  const alice = startApp(server, { clientOptions: { backoffBaseMs: 200, backoffCapMs: 2000, requestTimeoutMs: STEP_MS } });
  const bob = startApp(server, { clientOptions: { backoffBaseMs: 200, backoffCapMs: 2000, requestTimeoutMs: STEP_MS } });
  t.after(() => {
    alice.client.close();
    bob.client.close();
  });
  await devLogin(alice, `mpA-${run}`);
  await devLogin(bob, `mpB-${run}`);
  const wait = (check, what) => waitFor(check, what, STEP_MS);

  const rooms = await openPage('rooms', alice);
  const lobby = rooms.data.rooms.find((r) => r.conv === 'r:lobby');
  assert.ok(lobby && lobby.online >= 2, 'lobby listed with both online');

  const aliceChat = await openPage('chat', alice, { conv: 'r%3Alobby', name: 'Lobby' });
  const bobChat = await openPage('chat', bob, { conv: 'r%3Alobby', name: 'Lobby' });
  aliceChat.onInput({ detail: { value: `hello from the mini-program ${run}` } });
  const ack = await aliceChat.onSend();
  await wait(() => bobChat.data.messages.some((m) => m.seq === ack.seq && m.fromName === `mpA-${run}`), 'Bob sees it');

  alice.wx.chosen.push({ bytes: png(64, 48), ext: 'png' });
  const imageAck = await aliceChat.onChooseImage();
  assert.ok(imageAck, 'image sent');
  const image = await wait(() => bobChat.data.messages.find((m) => m.seq === imageAck.seq), 'image at Bob');
  const thumb = await fetch(image.thumb);
  assert.equal(thumb.status, 200, 'thumbnail link works without a header');

  aliceChat.onRecordStart();
  alice.wx.nextRecording = { bytes: wav(8000, 1.5), duration: 1500 };
  aliceChat.onRecordEnd();
  const voice = await wait(() => bobChat.data.messages.find((m) => m.kind === 'audio' && m.durationMs === 1500), 'voice at Bob');
  bobChat.onPlay(tap({ key: voice.key }));
  await bob.wx.audio[0].playing;
  assert.ok([200, 206].includes(bob.wx.audio[0].plays[0].status), 'voice link plays');

  const dm = await openPage('chat', alice, { to: encodeURIComponent(bob.client.user.id), name: 'Bob' });
  dm.onInput({ detail: { value: 'direct' } });
  const dmAck = await dm.onSend();
  assert.match(dmAck.conv, /^d:/);
  await dm.onLongPress(tap({ key: `s${dmAck.seq}` }));
  await wait(() => dm.data.messages.find((m) => m.seq === dmAck.seq).recalled, 'recalled');

  const alicePair = await openPage('pair', alice);
  const bobPair = await openPage('pair', bob);
  alicePair.onTarget({ detail: { value: bob.client.user.id } });
  await alicePair.onRequest();
  await wait(() => bobPair.data.pending.some((p) => p.id === alice.client.user.id), 'request at Bob');
  const started = await bobPair.onAccept(tap({ id: alice.client.user.id }));
  assert.match(started.conv, /^p:/);
  await wait(() => alicePair.data.active, 'Alice in the session');
  await alicePair.onLeave();
  await wait(() => bobPair.data.notice === 'Your partner left', 'Bob told');

  alice.wx.enterBackground();
  await wait(() => alice.client.state !== 'online', 'socket closed');
  bobChat.onInput({ detail: { value: `while you were away ${run}` } });
  const missed = await bobChat.onSend();
  alice.wx.enterForeground();
  await wait(() => aliceChat.data.messages.some((m) => m.seq === missed.seq), 'resumed by seq');
  const seqs = aliceChat.data.messages.map((m) => m.seq);
  assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'no duplicates, in order');
});
