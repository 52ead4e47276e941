// The pages with two apps (Alice and Bob, each its own fake wx and SDK client) against the in-process fake server:
// rooms with online counts, create/join, text both ways in seq order, a direct message with typing and recall,
// a picture (chooseMedia -> uploadMedia -> sendImage) and a voice clip (RecorderManager -> uploadMedia -> sendAudio)
// with working signed links, and 1v1 pairing (decline, accept, chat, leave).
const test = require('node:test');
const assert = require('node:assert/strict');
const { startFakeServer } = require('./fake-server');
const { startApp, openPage, queryOf, waitFor, devLogin, tap } = require('./harness');

// A 1x1 PNG and the start of an ADTS AAC stream (what RecorderManager writes for format 'aac').
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
const AAC = Buffer.concat([Buffer.from('fff15080021ffc', 'hex'), Buffer.alloc(200, 0x21)]);
const PDF = Buffer.from('%PDF-1.4 not a picture');

async function twoUsers(t) {
  const server = await startFakeServer();
  const alice = startApp(server);
  const bob = startApp(server);
  t.after(async () => {
    alice.client.close();
    bob.client.close();
    await server.stop();
  });
  await devLogin(alice, 'Alice');
  await devLogin(bob, 'Bob');
  return { server, alice, bob };
}

/** Follows the last navigateTo of `app` to the chat page it names. */
async function followToChat(app) {
  const nav = app.wx.navigations.at(-1);
  assert.equal(nav.type, 'navigateTo');
  assert.ok(nav.url.startsWith('/pages/chat/index?'), nav.url);
  return openPage('chat', app, queryOf(nav.url));
}

test('rooms page: rooms with online counts, create a room, the other user joins it from the list', { timeout: 15000 }, async (t) => {
  const { alice, bob } = await twoUsers(t);
  const aliceRooms = await openPage('rooms', alice);
  assert.equal(aliceRooms.data.me.nickname, 'Alice');
  assert.equal(aliceRooms.data.connection, 'online');
  assert.deepEqual(aliceRooms.data.rooms, [{ conv: 'r:lobby', name: 'Lobby', online: 2, member: true, unread: 0 }]);

  aliceRooms.onNewRoom({ detail: { value: 'Tea room' } });
  await aliceRooms.onCreate();
  const aliceChat = await followToChat(alice);
  assert.equal(aliceChat.data.name, 'Tea room');
  assert.equal(aliceChat.data.kind, 'room');
  assert.equal(aliceChat.data.canType, false, 'no typing events in rooms');
  const conv = aliceChat.data.conv;
  assert.match(conv, /^r:/);

  const bobRooms = await openPage('rooms', bob);
  const listed = bobRooms.data.rooms.find((r) => r.conv === conv);
  assert.deepEqual(listed, { conv, name: 'Tea room', online: 1, member: false, unread: 0 });
  await aliceRooms.refresh();
  await bobRooms.onRoomTap(tap({ conv, name: 'Tea room', member: false }));
  const bobChat = await followToChat(bob);
  assert.equal(bobChat.data.conv, conv);
  // Alice's list follows the memberJoined event without a reload.
  await waitFor(() => aliceRooms.data.rooms.find((r) => r.conv === conv).online === 2, 'online count updated by memberJoined');
  await bobRooms.refresh();
  assert.equal(bobRooms.data.rooms.find((r) => r.conv === conv).member, true);

  aliceRooms.onCopyId();
  assert.equal(alice.wx.clipboard, alice.client.user.id);
});

test('a room joined, then left, on another device of the same user: the room list and the open chat follow without a reload', { timeout: 15000 }, async (t) => {
  const { server, alice, bob } = await twoUsers(t);
  const phone = startApp(server);
  t.after(() => phone.client.close());
  await devLogin(phone, 'Alice');
  assert.equal(phone.client.user.id, alice.client.user.id);
  const { conv } = await bob.client.createRoom('Book club');
  const aliceRooms = await openPage('rooms', alice);
  assert.equal(aliceRooms.data.rooms.find((r) => r.conv === conv).member, false);

  await phone.client.join(conv);

  await waitFor(() => aliceRooms.data.rooms.find((r) => r.conv === conv).member === true, 'listed as joined after the joined event');
  assert.ok(alice.client.conversations.has(conv), 'the SDK follows too');

  // left on the phone while the room is open here: the chat says so and takes no more messages
  const aliceChat = await openPage('chat', alice, { conv: encodeURIComponent(conv), name: 'Book club' });
  assert.equal(aliceChat.data.ended, false);
  await phone.client.leave(conv);
  await waitFor(() => aliceChat.data.ended === true, 'the open chat ended by the left event');
  await waitFor(() => aliceRooms.data.rooms.find((r) => r.conv === conv).member === false, 'listed as not joined');
  aliceChat.onInput({ detail: { value: 'still here?' } });
  assert.equal(await aliceChat.onSend(), null, 'nothing is sent');
});

test('chat page: text both ways between two apps, shown once each, in seq order, pending until stored', { timeout: 15000 }, async (t) => {
  const { alice, bob } = await twoUsers(t);
  await alice.client.sendText('r:lobby', 'before anyone looked'); // seq 1: comes from the history page
  const aliceChat = await openPage('chat', alice, { conv: 'r%3Alobby', name: 'Lobby' });
  const bobChat = await openPage('chat', bob, { conv: 'r%3Alobby', name: 'Lobby' });
  assert.deepEqual(bobChat.data.messages.map((m) => m.body), ['before anyone looked']);
  assert.equal(bobChat.data.messages[0].fromName, 'Alice');

  aliceChat.onInput({ detail: { value: '  hello bob ' } });
  const sending = aliceChat.onSend();
  assert.equal(aliceChat.data.draft, '');
  assert.equal(aliceChat.data.messages.at(-1).pending, true, 'shown at once, pending');
  const ack = await sending;
  assert.equal(ack.seq, 2);

  bobChat.onInput({ detail: { value: 'hi alice' } });
  await bobChat.onSend();
  bobChat.onInput({ detail: { value: 'how are you' } });
  await bobChat.onSend();

  const expected = [[1, 'before anyone looked', 'Alice'], [2, 'hello bob', 'Alice'], [3, 'hi alice', 'Bob'], [4, 'how are you', 'Bob']];
  for (const [page, me] of [[aliceChat, 'Alice'], [bobChat, 'Bob']]) {
    await waitFor(() => page.data.messages.length === 4 && page.data.messages.every((m) => !m.pending), `${me} sees all four`);
    assert.deepEqual(page.data.messages.map((m) => [m.seq, m.body, m.fromName]), expected);
    assert.deepEqual(page.data.messages.map((m) => m.mine), expected.map(([, , from]) => from === me));
    assert.equal(page.data.lastKey, 's4', 'scrolled to the newest');
  }
  // An empty draft sends nothing.
  aliceChat.onInput({ detail: { value: '   ' } });
  assert.equal(await aliceChat.onSend(), null);
});

test('direct message by user id: the first send opens d:, the peer sees it listed and types, the sender recalls', { timeout: 15000 }, async (t) => {
  const { server, alice, bob } = await twoUsers(t);
  const bobRooms = await openPage('rooms', bob);
  const aliceRooms = await openPage('rooms', alice);
  aliceRooms.onDmTo({ detail: { value: bob.client.user.id } });
  aliceRooms.onDirect();
  const aliceChat = await followToChat(alice);
  assert.equal(aliceChat.data.conv, '');
  aliceChat.onInput({ detail: { value: 'psst' } });
  const ack = await aliceChat.onSend();
  assert.match(ack.conv, /^d:[0-9a-f]{40}$/);
  assert.equal(aliceChat.data.conv, ack.conv, 'the page learned the conversation from the ack');
  assert.equal(aliceChat.data.canType, true);

  await waitFor(() => bobRooms.data.convs.length === 1, 'Bob\'s list shows the new direct conversation');
  assert.deepEqual(bobRooms.data.convs[0], { conv: ack.conv, kind: 'direct', name: 'Alice', unread: 1, active: true, last: 'psst' });
  await bobRooms.onConvTap(tap({ conv: ack.conv, name: 'Alice' }));
  const bobChat = await followToChat(bob);
  assert.deepEqual(bobChat.data.messages.map((m) => m.body), ['psst']);
  await waitFor(() => server.reads.get(`${bob.client.user.id}|${ack.conv}`) === 1, 'opening the chat marks it read');

  bobChat.onInput({ detail: { value: 'h' } });
  bobChat.onInput({ detail: { value: 'he' } }); // within 2 s: not sent again
  await waitFor(() => aliceChat.data.typingText === 'Bob is typing…', 'typing shown');
  assert.equal(server.received.filter((r) => r.frame.type === 'typing').length, 1, 'at most one typing frame per 2 s');

  // Long press on her own message -> action sheet "Recall" -> both pages show it recalled.
  await aliceChat.onLongPress(tap({ key: 's1' }));
  for (const page of [aliceChat, bobChat]) {
    await waitFor(() => page.data.messages[0].recalled, 'recalled shown');
    assert.equal(page.data.messages[0].body, '');
  }
  // The stored recall notice (seq 2) is not shown as a message; the list shows it as the last message.
  await waitFor(() => bob.client.lastSeq(ack.conv) === 2, 'the recall notice delivered');
  for (const page of [aliceChat, bobChat]) assert.deepEqual(page.data.messages.map((m) => m.seq), [1]);
  await waitFor(() => bobRooms.data.convs[0].last === 'Alice recalled a message', 'the list previews the recall');
  const reopened = await openPage('chat', bob, { conv: encodeURIComponent(ack.conv), name: 'Alice' });
  await waitFor(() => reopened.data.messages.length === 1, 'history loaded');
  assert.deepEqual(reopened.data.messages.map((m) => [m.seq, m.recalled]), [[1, true]], 'history: the notice is not shown');
  // Bob cannot recall Alice's message: the long press does nothing on someone else's message.
  assert.equal(await bobChat.onLongPress(tap({ key: 's1' })), null);
});

test('picture: chooseMedia -> uploadFile (name file, bearer) -> sendImage; the peer gets a working signed thumbnail', { timeout: 15000 }, async (t) => {
  const { server, alice, bob } = await twoUsers(t);
  const aliceChat = await openPage('chat', alice, { conv: 'r%3Alobby', name: 'Lobby' });
  const bobChat = await openPage('chat', bob, { conv: 'r%3Alobby', name: 'Lobby' });

  alice.wx.chosen.push({ bytes: PNG, ext: 'png' });
  const ack = await aliceChat.onChooseImage();
  assert.equal(ack.seq, 1);
  assert.equal(server.uploads.length, 1);
  assert.equal(server.uploads[0].header, `Bearer ${alice.client.session.accessToken}`);
  assert.equal(server.uploads[0].kind, 'image');

  const m = await waitFor(() => bobChat.data.messages.find((x) => x.kind === 'image'), 'image message at Bob');
  assert.ok(m.thumb.startsWith(`${server.url}/api/media/`) && m.thumb.includes('v=thumb'), 'thumbUrl resolved against the base URL');
  const res = await fetch(m.thumb); // what <image src> loads: no header, the signature only
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  bobChat.onPreview(tap({ key: m.key }));
  assert.deepEqual(bob.wx.previews, [{ urls: [m.url], current: m.url }]);
  await waitFor(() => aliceChat.data.messages.length === 1 && !aliceChat.data.messages[0].pending, 'own copy replaced the pending one');

  // Cancelled picker: nothing happens. A file the server refuses (415): a toast, nothing sent.
  assert.equal(await aliceChat.onChooseImage(), null);
  alice.wx.chosen.push({ bytes: PDF, ext: 'png' });
  assert.equal(await aliceChat.onChooseImage(), null);
  assert.equal(alice.wx.toasts.at(-1), 'Not a picture the server takes');
  assert.equal(server.messages('r:lobby').length, 1);
});

test('voice clip: hold to record (aac) -> onStop {tempFilePath, duration} -> upload -> sendAudio; the peer plays it', { timeout: 15000 }, async (t) => {
  const { server, alice, bob } = await twoUsers(t);
  const aliceChat = await openPage('chat', alice, { conv: 'r%3Alobby', name: 'Lobby' });
  const bobChat = await openPage('chat', bob, { conv: 'r%3Alobby', name: 'Lobby' });

  aliceChat.onRecordStart();
  assert.equal(aliceChat.data.recording, true);
  const recorder = alice.wx.recorder;
  assert.equal(recorder.starts[0].format, 'aac', 'a format the server accepts');
  alice.wx.nextRecording = { bytes: AAC, duration: 4200 };
  aliceChat.onRecordEnd();
  await waitFor(() => server.messages('r:lobby').length === 1, 'voice message stored');
  assert.equal(aliceChat.data.recording, false);
  assert.equal(server.uploads[0].kind, 'audio');
  const stored = server.messages('r:lobby')[0];
  assert.equal(stored.kind, 'audio');
  assert.equal(stored.duration, 4200, 'the recorder\'s duration is sent');

  const m = await waitFor(() => bobChat.data.messages.find((x) => x.kind === 'audio'), 'voice message at Bob');
  assert.equal(m.durationMs, 4200);
  assert.equal(m.durationText, '4"');
  bobChat.onPlay(tap({ key: m.key }));
  assert.equal(bobChat.data.playing, m.key);
  const audio = bob.wx.audio[0];
  assert.equal(audio.src, m.url);
  await audio.playing;
  assert.equal(audio.plays[0].status, 200, 'InnerAudioContext.src is a working signed link');
  assert.equal(audio.plays[0].contentType, 'audio/aac');
  assert.deepEqual(audio.plays[0].bytes, AAC);

  // Too short: no upload, a hint.
  aliceChat.onRecordStart();
  alice.wx.nextRecording = { bytes: AAC, duration: 300 };
  aliceChat.onRecordEnd();
  await waitFor(() => alice.wx.toasts.includes('Too short'), 'too short hint');
  assert.equal(server.uploads.length, 1);
  aliceChat.onUnload();
  assert.equal(alice.wx.audio[0].destroyed, true, 'audio context released with the page');
});

test('pairing: a busy close of our request names no one as busy (it may be our own session starting)', { timeout: 20000 }, async (t) => {
  const { alice, bob } = await twoUsers(t);
  const alicePair = await openPage('pair', alice);
  const bobId = bob.client.user.id;
  alicePair.onTarget({ detail: { value: bobId } });
  await alicePair.onRequest();
  assert.equal(alicePair.data.waiting.id, bobId);

  alicePair.onClosed({ type: 'pairRequestClosed', from: alice.client.user.id, to: bobId, reason: 'busy' });

  assert.equal(alicePair.data.waiting, null);
  assert.equal(alicePair.data.notice, 'Request to Bob closed: a 1v1 session started');
});

test('pairing: pairStarted opens the chat once, also for a session the list showed first, not again when told twice', { timeout: 20000 }, async (t) => {
  const { alice, bob } = await twoUsers(t);
  const alicePair = await openPage('pair', alice);
  const started = { type: 'pairStarted', conv: 'p:again', peer: { id: bob.client.user.id, nickname: 'Bob' } };
  alicePair.setData({ active: { conv: 'p:again', name: 'Bob' } }); // as a reload finds a session recorded at a connect

  alicePair.onStarted(started);
  alicePair.onStarted(started); // the server may tell a session twice (protocol.md, pairAccept)

  assert.deepEqual(alicePair.data.active, { conv: 'p:again', name: 'Bob' });
  assert.equal(alice.wx.navigations.filter((n) => n.url.startsWith('/pages/chat/index?conv=p%3Aagain')).length, 1);
});

test('pairing: a request kept after an accept answered unavailable goes when its session is told started', { timeout: 20000 }, async (t) => {
  const { server, alice, bob } = await twoUsers(t);
  const alicePair = await openPage('pair', alice);
  const bobPair = await openPage('pair', bob);
  const aliceId = alice.client.user.id;
  alicePair.onTarget({ detail: { value: bob.client.user.id } });
  await alicePair.onRequest();
  await waitFor(() => bobPair.data.pending.length === 1, 'request listed at Bob');
  server.frameFailures.push(['pairAccept', 'unavailable']);
  assert.equal(await bobPair.onAccept(tap({ id: aliceId })), null);
  assert.equal(bobPair.data.pending.length, 1, 'kept: accepting again may be needed');

  // the server had started it after all (its sweep tells both, protocol.md pairAccept)
  bobPair.onStarted({ type: 'pairStarted', conv: 'p:swept', peer: { id: aliceId, nickname: 'Alice' } });

  assert.deepEqual(bobPair.data.pending, []);
  assert.deepEqual(bobPair.data.active, { conv: 'p:swept', name: 'Alice' });
});

test('pairing: request, decline, request again, accept, both in the p: chat, leave ends it for both', { timeout: 20000 }, async (t) => {
  const { server, alice, bob } = await twoUsers(t);
  const alicePair = await openPage('pair', alice);
  const bobPair = await openPage('pair', bob);
  const bobId = bob.client.user.id;
  const aliceId = alice.client.user.id;

  alicePair.onTarget({ detail: { value: 'nobody' } });
  await alicePair.onRequest();
  assert.equal(alicePair.data.notice, 'No such user (they must have connected once)');

  alicePair.onTarget({ detail: { value: bobId } });
  await alicePair.onRequest();
  assert.deepEqual({ id: alicePair.data.waiting.id, name: alicePair.data.waiting.name }, { id: bobId, name: 'Bob' });
  await waitFor(() => bobPair.data.pending.length === 1, 'request listed at Bob');
  assert.equal(bobPair.data.pending[0].name, 'Alice');

  await bobPair.onDecline(tap({ id: aliceId }));
  assert.deepEqual(bobPair.data.pending, []);
  await waitFor(() => alicePair.data.waiting === null, 'Alice stops waiting');
  assert.equal(alicePair.data.notice, 'Bob declined your request');

  assert.equal(await alicePair.onRequest(), null, "the input was cleared: nothing sent");
  alicePair.onTarget({ detail: { value: bobId } });
  await alicePair.onRequest();
  // A Bob page opened now finds the request through pairPending (it was sent before the page existed).
  const bobPair2 = await openPage('pair', bob);
  assert.equal(bobPair2.data.pending.length, 1);
  server.frameFailures.push(['pairAccept', 'unavailable']); // the server may have started it: accepting again finds it
  assert.equal(await bobPair2.onAccept(tap({ id: aliceId })), null);
  assert.equal(bobPair2.data.pending.length, 1, 'a retryable error keeps the request');
  assert.match(bobPair2.data.notice, /try again/);
  const started = await bobPair2.onAccept(tap({ id: aliceId }));
  assert.match(started.conv, /^p:/);
  const bobChat = await followToChat(bob);
  await waitFor(() => alicePair.data.active && alicePair.data.active.conv === started.conv, 'Alice learns of the session (event)');
  assert.equal(alicePair.data.waiting, null);
  const aliceChat = await followToChat(alice);
  assert.equal(aliceChat.data.kind, 'pair');
  assert.equal(aliceChat.data.ended, false);

  aliceChat.onInput({ detail: { value: 'hi partner' } });
  await aliceChat.onSend();
  await waitFor(() => bobChat.data.messages.some((m) => m.body === 'hi partner'), 'pair message delivered');

  await alicePair.onLeave();
  assert.equal(alicePair.data.active, null);
  await waitFor(() => bobChat.data.ended, 'Bob\'s chat shows the session ended');
  await waitFor(() => bobPair2.data.notice === 'Your partner left', 'Bob\'s pair page told');
  bobChat.onInput({ detail: { value: 'still there?' } });
  assert.equal(await bobChat.onSend(), null, 'no sending into an ended session');

  // Reopened later, the ended session's chat knows it has ended (conversation list: active false).
  const again = await openPage('chat', bob, { conv: encodeURIComponent(started.conv), name: '1v1' });
  assert.equal(again.data.ended, true);
  assert.deepEqual(again.data.messages.map((m) => m.body), ['hi partner']);
});
