// Tokens: refresh on close 4003 then reconnect with the new token; in-band `auth` before expiry; stop on 4501 and
// when the refresh token is refused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startFakeServer } from './fake-server.mjs';
import { newClient, online, waitFor } from './helpers.mjs';

test('close 4003 (token expired): refreshes, then reconnects with the new token', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  const client = newClient(server);
  try {
    await client.devLogin('alice');
    const firstToken = client.session.accessToken;
    client.connect();
    await online(client);
    server.closeAll(4003, 'token expired');
    await waitFor(() => server.handshakes.length === 2 && client.state === 'online', 'reconnected');
    assert.equal(server.refreshCount, 1);
    assert.notEqual(server.handshakes[1].token, firstToken);
    assert.equal(server.handshakes[1].token, client.session.accessToken);
    assert.equal(server.handshakes[1].via, 'query');
  } finally {
    client.close();
    await server.stop();
  }
});

test('refreshes before expiry and sends the new token in-band (`auth`) on the open socket', { timeout: 10000 }, async () => {
  const server = await startFakeServer({ expiresIn: 62 });
  const client = newClient(server, { refreshMarginMs: 61000 }); // refresh 1 s after login
  try {
    await client.devLogin('alice');
    client.connect();
    await online(client);
    await waitFor(() => server.received.some((r) => r.frame.type === 'auth'), 'auth frame', 4000);
    const auth = server.received.find((r) => r.frame.type === 'auth').frame;
    assert.equal(auth.token, client.session.accessToken);
    assert.equal(server.refreshCount, 1);
    assert.equal(server.handshakes.length, 1, 'same connection kept');
  } finally {
    client.close();
    await server.stop();
  }
});

test('close 4501 (session revoked): stops, emits "stopped" with the reason, does not reconnect', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  const client = newClient(server);
  try {
    await client.devLogin('alice');
    client.connect();
    await online(client);
    const stopped = client.once('stopped');
    server.closeAll(4501, 'session revoked');
    assert.deepEqual(await stopped, { code: 4501, reason: 'session revoked' });
    assert.equal(client.state, 'stopped');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(server.handshakes.length, 1);
    await assert.rejects(client.rooms(), (e) => e.code === 'stopped');
  } finally {
    client.close();
    await server.stop();
  }
});

test('4003 with a refused refresh token stops the client (log in again)', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  const client = newClient(server);
  try {
    await client.devLogin('alice');
    client.connect();
    await online(client);
    server.refreshStatus = 401;
    const stopped = client.once('stopped');
    server.closeAll(4003, 'token expired');
    assert.equal((await stopped).code, 4500);
    assert.equal(server.handshakes.length, 1);
  } finally {
    client.close();
    await server.stop();
  }
});

test('a refused handshake (401, seen only as a close) is retried with backoff and a refreshed token', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  const client = newClient(server);
  try {
    await client.devLogin('alice');
    server.tokens.clear(); // the access token is no longer accepted
    client.connect();
    await waitFor(() => client.state === 'online', 'online after refresh', 8000);
    assert.ok(server.refreshCount >= 1);
  } finally {
    client.close();
    await server.stop();
  }
});
