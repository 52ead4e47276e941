// Encrypted mode against the fake server (node:crypto on its side): WebCrypto and node-forge (pure JS, as in a
// mini-program) both wrap the key and seal/open frames; unknown_key is retried once with fresh keys; 4005 reconnects
// with a new key; a frame that does not open drops the connection.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { webcrypto } from 'node:crypto';
import { startFakeServer } from './fake-server.mjs';
import { newClient, online, waitFor } from './helpers.mjs';

const forge = createRequire(import.meta.url)('node-forge');

for (const [name, extra] of [['WebCrypto', { crypto: webcrypto }], ['node-forge', { forge, randomBytes: (n) => webcrypto.getRandomValues(new Uint8Array(n)) }]]) {
  test(`${name}: secure handshake, every later frame sealed both ways, chat works`, { timeout: 15000 }, async () => {
    const server = await startFakeServer({ secure: true });
    const client = newClient(server, { secure: true, ...extra });
    const plain = newClient(server);
    try {
      await client.devLogin('sealed');
      await plain.devLogin('plain');
      client.connect();
      plain.connect();
      await online(client);
      await online(plain);
      const frames = server.received.filter((r) => r.user.nickname === 'sealed');
      assert.equal(frames[0].frame.type, 'secure');
      assert.equal(frames[0].secure, false);
      assert.ok(frames.slice(1).every((r) => r.secure), 'everything after `secure` was sealed');
      const got = client.once('message', (m) => m.body === 'héllo 👋');
      await plain.sendText('r:lobby', 'héllo 👋');
      assert.equal((await got).from.nickname, 'plain');
      const back = plain.once('message', (m) => m.body === 'sealed reply');
      await client.sendText('r:lobby', 'sealed reply');
      await back;
      assert.equal(server.sessionKeys.length, 1);
      assert.equal(Buffer.from(server.sessionKeys[0], 'base64').length, 32);
    } finally {
      client.close();
      plain.close();
      await server.stop();
    }
  });
}

test('unknown_key: fetches the keys again and retries `secure` once', { timeout: 15000 }, async () => {
  const server = await startFakeServer({ secure: true });
  server.secureErrors.push('unknown_key');
  const client = newClient(server, { secure: true, crypto: webcrypto });
  try {
    await client.devLogin('sealed');
    client.connect();
    await online(client);
    assert.equal(server.received.filter((r) => r.frame.type === 'secure').length, 2);
    assert.equal(server.handshakes.length, 1, 'same connection');
    assert.ok(await client.ping());
  } finally {
    client.close();
    await server.stop();
  }
});

test('a stray second answer to `secure` after `secured` is ignored', { timeout: 15000 }, async () => {
  const server = await startFakeServer({ secure: true });
  server.onFrame = (conn, frame) => {
    if (frame.type !== 'secure') return false;
    server.handle(conn, frame);
    server.sendTo(conn, { type: 'error', rid: frame.rid, code: 'unknown_key', message: 'late', retry: true });
    return true;
  };
  const client = newClient(server, { secure: true, crypto: webcrypto });
  const errors = [];
  client.on('error', (e) => errors.push(e));
  try {
    await client.devLogin('sealed');
    client.connect();
    await online(client);
    assert.ok(await client.ping());
    assert.equal(server.handshakes.length, 1);
    assert.deepEqual(errors, []);
  } finally {
    client.close();
    await server.stop();
  }
});

test('close 4005 reconnects with a new key and resends what was not acknowledged', { timeout: 15000 }, async () => {
  const server = await startFakeServer({ secure: true });
  let dropped = false;
  server.onFrame = (conn, frame) => {
    if (frame.type !== 'send' || dropped) return false;
    dropped = true;
    conn.ws.close(4005, 'invalid secure frame');
    return true;
  };
  const client = newClient(server, { secure: true, crypto: webcrypto });
  try {
    await client.devLogin('sealed');
    client.connect();
    await online(client);
    const ack = await client.sendText('r:lobby', 'after 4005');
    assert.equal(ack.seq, 1);
    assert.equal(server.sessionKeys.length, 2);
    assert.notEqual(server.sessionKeys[0], server.sessionKeys[1]);
  } finally {
    client.close();
    await server.stop();
  }
});

test('a server frame that does not open (tampered) drops the connection and reconnects', { timeout: 15000 }, async () => {
  const server = await startFakeServer({ secure: true });
  const client = newClient(server, { secure: true, crypto: webcrypto });
  try {
    await client.devLogin('sealed');
    client.connect();
    await online(client);
    const [conn] = server.conns;
    conn.ws.send(JSON.stringify({ type: 'sec', c: 99, n: 'AAAAAAAAAAAAAAAA', d: 'AAAAAAAAAAAAAAAAAAAAAA==' }));
    await waitFor(() => server.handshakes.length === 2 && client.state === 'online', 'reconnected');
  } finally {
    client.close();
    await server.stop();
  }
});
