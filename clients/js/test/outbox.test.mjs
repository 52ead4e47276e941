// The outbox: every send has a cmid, is kept in storage until acknowledged and resent with the same cmid after each
// welcome (also by a new client after an app restart), so a message is neither lost nor stored twice.
import test from 'node:test';
import assert from 'node:assert/strict';
import { memoryStorage } from '../wxim.mjs';
import { startFakeServer } from './fake-server.mjs';
import { newClient, online, waitFor } from './helpers.mjs';

const sends = (server) => server.received.filter((r) => r.frame.type === 'send').map((r) => r.frame);

test('a send never answered survives an app restart and is resent with the same cmid, stored and delivered once', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  const storage = memoryStorage();
  server.onFrame = (conn, frame) => frame.type === 'send'; // the first app's sends vanish (network died)
  const first = newClient(server, { storage });
  try {
    await first.devLogin('alice');
    first.connect();
    await online(first);
    const pending = first.sendText('r:lobby', 'survive me');
    const { cmid } = pending;
    await waitFor(() => sends(server).length === 1, 'the send reached the server');
    assert.deepEqual(first.pending().map((f) => f.cmid), [cmid]);
    assert.match(storage.get(`wxim:${first.user.id}:outbox`), new RegExp(cmid));
    first.close(); // the app is killed

    server.onFrame = null;
    const second = newClient(server, { storage }); // the app starts again, same storage
    const got = [];
    second.on('message', (m) => got.push(m));
    const acks = [];
    second.on('ack', (a) => acks.push(a));
    await second.devLogin('alice');
    assert.deepEqual(second.pending().map((f) => f.cmid), [cmid], 'loaded from storage');
    second.connect();
    await waitFor(() => acks.length === 1 && got.length === 1, 'ack and message');
    assert.equal(acks[0].cmid, cmid);
    assert.equal(sends(server).at(-1).cmid, cmid, 'same cmid');
    assert.equal(server.messages('r:lobby').filter((m) => m.cmid === cmid).length, 1, 'stored once');
    assert.equal(got[0].cmid, cmid);
    assert.deepEqual(second.pending(), []);
    assert.equal(storage.get(`wxim:${second.user.id}:outbox`), null);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(got.length, 1, 'delivered once');
    second.close();
  } finally {
    first.close();
    await server.stop();
  }
});

test('a send stored whose ack was lost is resent after reconnect and resolves with the original ack (no duplicate)', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  server.onFrame = (conn, frame) => {
    if (frame.type !== 'send' || server.messages('r:lobby').length) return false;
    server.handle({ ...conn, ws: { readyState: 3 } }, frame); // stored, but the ack and push never leave
    conn.ws.close(4001, 'going away');
    return true;
  };
  const client = newClient(server);
  const got = [];
  client.on('message', (m) => got.push(m.seq));
  try {
    await client.devLogin('alice');
    client.connect();
    await online(client);
    const ack = await client.sendText('r:lobby', 'once');
    assert.equal(ack.seq, 1);
    assert.equal(server.messages('r:lobby').length, 1);
    assert.equal(new Set(sends(server).map((f) => f.cmid)).size, 1);
    assert.equal(sends(server).length, 2, 'sent twice, same cmid');
    await waitFor(() => got.length === 1, 'message via sync');
    assert.deepEqual(got, [1]);
  } finally {
    client.close();
    await server.stop();
  }
});

test('a non-retryable error rejects the send and removes it from the outbox', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  const client = newClient(server);
  try {
    await client.devLogin('alice');
    client.connect();
    await online(client);
    const failed = client.once('failed');
    await assert.rejects(client.sendText('r:nowhere', 'x'), (e) => e.code === 'not_found' && e.retry === false);
    assert.equal((await failed).frame.conv, 'r:nowhere');
    assert.deepEqual(client.pending(), []);
  } finally {
    client.close();
    await server.stop();
  }
});

test('a retryable error (rate_limited) is retried with the same cmid after a delay', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  let refused = 0;
  server.onFrame = (conn, frame) => {
    if (frame.type !== 'send' || refused >= 2) return false;
    refused++;
    server.sendTo(conn, { type: 'error', cmid: frame.cmid, code: 'rate_limited', message: 'slow down', retry: true });
    return true;
  };
  const client = newClient(server);
  try {
    await client.devLogin('alice');
    client.connect();
    await online(client);
    const ack = await client.sendText('r:lobby', 'eventually');
    assert.equal(ack.seq, 1);
    assert.equal(sends(server).length, 3);
    assert.equal(new Set(sends(server).map((f) => f.cmid)).size, 1);
  } finally {
    client.close();
    await server.stop();
  }
});

test('sends made while offline go out after welcome; a send to a user id travels as `to`', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  const bob = newClient(server);
  const alice = newClient(server);
  try {
    await bob.devLogin('bob');
    bob.connect();
    await online(bob);
    await alice.devLogin('alice');
    const p = alice.sendText(bob.user.id, 'hi bob'); // not connected yet
    const got = bob.once('message', (m) => m.body === 'hi bob');
    alice.connect();
    const ack = await p;
    assert.match(ack.conv, /^d:[0-9a-f]{40}$/);
    assert.equal((await got).conv, ack.conv);
    assert.equal(sends(server)[0].to, bob.user.id);
  } finally {
    alice.close();
    bob.close();
    await server.stop();
  }
});
