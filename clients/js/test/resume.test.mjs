// Resume against the fake server: sync from the last seq after a reconnect, pushes during sync buffered, duplicates
// dropped, strict seq order per conversation, a gap triggers sync, `synced.more` is followed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startFakeServer } from './fake-server.mjs';
import { newClient, online, waitFor } from './helpers.mjs';

const bob = { id: 'ubob', nickname: 'Bob' };

async function setup(opts) {
  const server = await startFakeServer(opts);
  const client = newClient(server);
  const got = [];
  client.on('message', (m) => got.push(`${m.conv}#${m.seq}:${m.body}`));
  await client.devLogin('alice');
  client.connect();
  await online(client);
  return { server, client, got };
}

test('after a reconnect, syncs from the last seq and delivers what was missed once, in order', { timeout: 10000 }, async () => {
  const { server, client, got } = await setup();
  try {
    for (const body of ['a', 'b', 'c']) server.push(server.store('r:lobby', bob, body));
    await waitFor(() => got.length === 3, '3 live messages');
    // the client may be back online before a poll could see it offline: wait for the event instead
    const disconnected = client.once('disconnected');
    server.closeAll(4002, 'slow consumer');
    await disconnected;
    server.store('r:lobby', bob, 'd'); // stored while the client was away: never pushed to it
    server.store('r:lobby', bob, 'e');
    await online(client);
    await waitFor(() => got.length === 5, '5 messages');
    assert.deepEqual(got, ['r:lobby#1:a', 'r:lobby#2:b', 'r:lobby#3:c', 'r:lobby#4:d', 'r:lobby#5:e']);
    const syncs = server.received.filter((r) => r.frame.type === 'sync').map((r) => r.frame.convs);
    assert.deepEqual(syncs.at(-1), { 'r:lobby': 3 });
    assert.equal(client.lastSeq('r:lobby'), 5);
  } finally {
    client.close();
    await server.stop();
  }
});

test('a recall while the client was away reaches it by sync; live, the notice and the event make one `recalled`', { timeout: 10000 }, async () => {
  const { server, client, got } = await setup();
  const recalls = [];
  client.on('recalled', (r) => recalls.push(`${r.conv}#${r.seq} by ${r.by}`));
  try {
    for (const body of ['a', 'b']) server.push(server.store('r:lobby', bob, body));
    await waitFor(() => got.length === 2, '2 live messages');
    const disconnected = client.once('disconnected');
    server.closeAll(4002, 'slow consumer');
    await disconnected;
    server.recall('r:lobby', 1, bob); // no push: the client is away, as is a phone in a pocket
    await online(client);
    await waitFor(() => recalls.length === 1, 'the recall, by sync');
    assert.deepEqual(recalls, ['r:lobby#1 by ubob']);
    assert.equal(client.lastSeq('r:lobby'), 3, 'the notice takes a seq');

    const notice = server.recall('r:lobby', 2, bob);
    server.push(notice);
    server.broadcast({ type: 'recalled', conv: 'r:lobby', seq: 2, id: 'm2', by: bob.id });
    server.push(server.store('r:lobby', bob, 'c'));
    await waitFor(() => got.length === 3, 'the next message');
    assert.deepEqual(recalls, ['r:lobby#1 by ubob', 'r:lobby#2 by ubob'], 'once per recalled message');
    assert.deepEqual(got, ['r:lobby#1:a', 'r:lobby#2:b', 'r:lobby#5:c'], 'notices are not messages');
  } finally {
    client.close();
    await server.stop();
  }
});

test('live pushes that arrive while a sync is answered are buffered, deduplicated and delivered in seq order', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  for (const body of ['1', '2', '3']) server.store('r:lobby', bob, body);
  let held = null;
  server.onFrame = (conn, frame) => {
    if (frame.type !== 'sync' || held) return false;
    held = frame;
    const m4 = server.store('r:lobby', bob, '4');
    server.push(m4); // live push first: seq 4 while 1-3 are still coming
    server.push(m4); // and a duplicate of it
    setTimeout(() => { server.handle(conn, frame); server.push(server.store('r:lobby', bob, '5')); }, 100);
    return true;
  };
  const client = newClient(server);
  const got = [];
  client.on('message', (m) => got.push(m.seq));
  try {
    await client.devLogin('alice');
    client.connect();
    await waitFor(() => got.length >= 5, '5 messages');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(got, [1, 2, 3, 4, 5]);
    assert.deepEqual(held.convs, { 'r:lobby': 0 });
  } finally {
    client.close();
    await server.stop();
  }
});

test('a push with seq > last+1 triggers a sync that fills the gap before the push is delivered', { timeout: 10000 }, async () => {
  const { server, client, got } = await setup();
  try {
    server.push(server.store('r:lobby', bob, 'one'));
    await waitFor(() => got.length === 1, 'first');
    server.store('r:lobby', bob, 'lost push'); // seq 2 is never pushed
    server.push(server.store('r:lobby', bob, 'three'));
    await waitFor(() => got.length === 3, 'gap filled');
    assert.deepEqual(got, ['r:lobby#1:one', 'r:lobby#2:lost push', 'r:lobby#3:three']);
    assert.deepEqual(server.received.filter((r) => r.frame.type === 'sync').at(-1).frame.convs, { 'r:lobby': 1 });
  } finally {
    client.close();
    await server.stop();
  }
});

test('synced with more: true is followed by further syncs until everything is delivered', { timeout: 10000 }, async () => {
  const server = await startFakeServer({ pageSize: 2 });
  for (let i = 1; i <= 7; i++) server.store('r:lobby', bob, String(i));
  const client = newClient(server);
  const got = [];
  client.on('message', (m) => got.push(m.seq));
  try {
    await client.devLogin('alice');
    client.connect();
    await waitFor(() => got.length === 7, '7 messages');
    assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7]);
    const froms = server.received.filter((r) => r.frame.type === 'sync').map((r) => r.frame.convs['r:lobby']);
    assert.deepEqual(froms, [0, 2, 4, 6]);
  } finally {
    client.close();
    await server.stop();
  }
});

test('a first-seen conversation starts from its newest initialHistory messages; read positions survive a restart', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  for (let i = 1; i <= 60; i++) server.store('r:lobby', bob, String(i));
  const storage = (await import('../wxim.mjs')).memoryStorage();
  const client = newClient(server, { storage, initialHistory: 5 });
  const got = [];
  client.on('message', (m) => got.push(m.seq));
  try {
    await client.devLogin('alice');
    client.connect();
    await waitFor(() => got.length === 5, 'newest 5');
    assert.deepEqual(got, [56, 57, 58, 59, 60]);
    client.close();
    server.store('r:lobby', bob, '61');
    const again = newClient(server, { storage, initialHistory: 5 });
    const got2 = [];
    again.on('message', (m) => got2.push(m.seq));
    await again.devLogin('alice');
    again.connect();
    await waitFor(() => got2.length === 1, 'only the new one');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(got2, [61]);
    again.close();
  } finally {
    client.close();
    await server.stop();
  }
});

test('a `resync` frame makes the client sync every conversation, which delivers messages it missed live', { timeout: 10000 }, async () => {
  const { server, client, got } = await setup();
  try {
    server.push(server.store('r:lobby', bob, 'a'));
    await waitFor(() => got.length === 1, '1 live message');
    server.store('r:lobby', bob, 'b'); // published while the gateway's subscription was down: never pushed
    const syncsBefore = server.received.filter((r) => r.frame.type === 'sync').length;
    server.broadcast({ type: 'resync', reason: 'pubsub' });
    await waitFor(() => got.length === 2, 'the missed message');
    assert.deepEqual(got, ['r:lobby#1:a', 'r:lobby#2:b']);
    const syncs = server.received.filter((r) => r.frame.type === 'sync');
    assert.equal(syncs.length, syncsBefore + 1);
    assert.deepEqual(syncs.at(-1).frame.convs, { 'r:lobby': 1 });
  } finally {
    client.close();
    await server.stop();
  }
});
