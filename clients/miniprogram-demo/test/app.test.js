// The app and the login page: one SDK client per app over the wx adapters, dev and WeChat login, the session kept
// in wx storage, the 5-socket limit, and reconnecting on onAppShow / network return after WeChat closed the socket.
const test = require('node:test');
const assert = require('node:assert/strict');
const { startFakeServer } = require('./fake-server');
const { startApp, openPage, newPage, waitFor, online, devLogin, createWx } = require('./harness');

test('dev login page: logs in, connects one socket with the bearer header, keeps the session for a restarted app', { timeout: 15000 }, async () => {
  const server = await startFakeServer();
  const storage = new Map();
  const app = startApp(server, { wx: createWx({ storage }) });
  let again;
  try {
    const login = newPage('login', app);
    login.onLoad();
    assert.equal(login.data.devLogin, true);
    await login.onDevLogin();
    assert.equal(login.data.error, 'Enter a nickname', 'empty nickname refused before any request');
    login.onNickname({ detail: { value: ' Alice ' } });
    await login.onDevLogin();
    assert.deepEqual(app.wx.navigations, [{ type: 'redirectTo', url: '/pages/rooms/index' }]);
    await online(app);

    const task = app.wx.sockets[0];
    assert.equal(task.url, `${server.url.replace('http', 'ws')}/ws`);
    assert.equal(task.header.Authorization, `Bearer ${app.client.session.accessToken}`);
    assert.equal(server.handshakes[0].via, 'header');
    assert.equal(app.client.user.nickname, 'Alice');
    assert.ok(storage.get('wxim-demo:session'), 'token pair stored with wx.setStorageSync');

    // A restarted mini-program (new app, same storage): the login page finds the session and goes on.
    again = startApp(server, { wx: createWx({ storage }) });
    const login2 = await openPage('login', again);
    assert.deepEqual(again.wx.navigations, [{ type: 'redirectTo', url: '/pages/rooms/index' }]);
    assert.equal(login2.data.busy, false);
    await online(again);
    assert.equal(again.client.user.id, app.client.user.id);
    assert.equal(server.byNickname.size, 1, 'no second login');
  } finally {
    app.client.close();
    if (again) again.client.close();
    await server.stop();
  }
});

test('WeChat login button: wx.login code to wechatLogin; a retryable answer gets a fresh code and succeeds', { timeout: 15000 }, async () => {
  const server = await startFakeServer();
  const app = startApp(server, { wx: createWx({ openid: 'o-bob' }) });
  try {
    server.wechatFailures.push(503); // wechat_busy, retryable: the code is spent, get a new one
    const login = await openPage('login', app);
    const started = Date.now();
    await login.onWechatLogin();
    assert.ok(Date.now() - started >= 1900, 'waited for Retry-After: 2 (read through wx.request\'s header)');
    assert.equal(login.data.error, '');
    assert.deepEqual(server.wechatLogins, ['code:o-bob:1', 'code:o-bob:2']);
    assert.equal(app.client.user.nickname, 'wx-o-bob');
    assert.deepEqual(app.wx.navigations, [{ type: 'redirectTo', url: '/pages/rooms/index' }]);
    await online(app);
  } finally {
    app.client.close();
    await server.stop();
  }
});

test('WeChat login: a non-retryable refusal is shown, no endless retry', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  const app = startApp(server, { wx: createWx({ openid: 'o-x' }) });
  try {
    server.usedCodes.add('code:o-x:1'); // WeChat says code_used (400, not retryable)
    const login = await openPage('login', app);
    await login.onWechatLogin();
    assert.equal(login.data.error, 'Login failed: code used');
    assert.equal(server.wechatLogins.length, 1);
    assert.equal(app.wx.navigations.length, 0);
  } finally {
    app.client.close();
    await server.stop();
  }
});

test('background: WeChat closes the socket; onAppShow reconnects at once (no backoff wait) and the chat resumes by seq', { timeout: 20000 }, async () => {
  const server = await startFakeServer();
  // A long backoff (15-30 s) so only the wake on onAppShow / network return can bring the socket back in time.
  const slow = { backoffBaseMs: 30000, backoffCapMs: 30000, random: () => 0.5 + Math.random() / 2 };
  const alice = startApp(server, { clientOptions: slow });
  const bob = startApp(server);
  try {
    await devLogin(alice, 'Alice');
    await devLogin(bob, 'Bob');
    const chat = await openPage('chat', alice, { conv: 'r%3Alobby', name: 'Lobby' });
    await bob.client.sendText('r:lobby', 'one');
    await waitFor(() => chat.data.messages.length === 1, 'first message');

    alice.wx.enterBackground();
    await waitFor(() => chat.data.connection !== 'online', 'reconnecting indicator');
    await bob.client.sendText('r:lobby', 'two');
    await bob.client.sendText('r:lobby', 'three');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(alice.wx.sockets.length, 1, 'no reconnect while in the background (backoff is long)');

    alice.wx.enterForeground();
    await waitFor(() => chat.data.connection === 'online', 'online again after onAppShow');
    assert.equal(alice.wx.sockets.length, 2);
    await waitFor(() => chat.data.messages.length === 3, 'missed messages filled in');
    assert.deepEqual(chat.data.messages.map((m) => [m.seq, m.body]), [[1, 'one'], [2, 'two'], [3, 'three']]);

    // Network comes back (wx.onNetworkStatusChange isConnected) works the same way.
    alice.wx.enterBackground();
    await waitFor(() => alice.client.state !== 'online', 'closed again');
    alice.wx.networkBack();
    await online(alice);
    assert.equal(alice.wx.sockets.length, 3);
    assert.equal(alice.wx.maxOpenSockets, 1, 'one socket for the whole app (WeChat allows 5)');
    assert.deepEqual(alice.wx.handlerCount(), { show: 1, net: 1 }, 'wakeOnWx registered once');
  } finally {
    alice.client.close();
    bob.client.close();
    await server.stop();
  }
});

test('one socket for the whole app however many pages are open', { timeout: 15000 }, async () => {
  const server = await startFakeServer();
  const app = startApp(server);
  try {
    await devLogin(app, 'Carol');
    await openPage('rooms', app);
    await openPage('chat', app, { conv: 'r%3Alobby', name: 'Lobby' });
    await openPage('chat', app, { conv: 'r%3Alobby', name: 'Lobby' });
    await openPage('pair', app);
    assert.equal(app.wx.sockets.length, 1);
    assert.equal(app.wx.maxOpenSockets, 1);
  } finally {
    app.client.close();
    await server.stop();
  }
});

test('logout from the rooms page ends the session server-side and forgets it locally', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  const app = startApp(server);
  try {
    await devLogin(app, 'Dave');
    const rooms = await openPage('rooms', app);
    await rooms.onLogout();
    assert.equal(app.wx.getStorageSync('wxim-demo:session'), '');
    assert.deepEqual(app.wx.navigations.at(-1), { type: 'reLaunch', url: '/pages/login/index' });
    assert.equal(server.revoked.size, 1);
    await waitFor(() => app.client.state === 'closed', 'client closed');
    assert.deepEqual(app.wx.sockets[0].closeCalls.map((c) => c.code), [1000], 'closed with a code WeChat accepts');
  } finally {
    app.client.close();
    await server.stop();
  }
});

test('a session the server ends (close 4501) sends the user back to the login page and forgets the tokens', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  const app = startApp(server);
  try {
    await devLogin(app, 'Erin');
    assert.ok(app.wx.getStorageSync('wxim-demo:session'));
    server.closeAll(4501, 'session revoked');
    await waitFor(() => app.client.state === 'stopped', 'client stopped');
    assert.equal(app.wx.getStorageSync('wxim-demo:session'), '');
    assert.deepEqual(app.wx.navigations.at(-1), { type: 'reLaunch', url: '/pages/login/index' });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(app.wx.sockets.length, 1, 'no reconnect');
  } finally {
    app.client.close();
    await server.stop();
  }
});
