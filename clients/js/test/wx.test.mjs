// The mini-program adapters with a fake `wx`: wx.connectSocket (bridged to a real `ws` socket, so the Authorization
// header is really sent), wx.request, wx.uploadFile, wx.getStorageSync/setStorageSync, wx.onAppShow.
import test from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createClient, wxTransport, wxHttp, wxStorage, wakeOnWx } from '../wxim.mjs';
import { startFakeServer } from './fake-server.mjs';
import { online, waitFor } from './helpers.mjs';

function fakeWx() {
  const store = new Map();
  const wx = {
    tasks: [],
    appShow: [],
    connectSocket({ url, header }) {
      const ws = new WebSocket(url, { headers: header });
      const task = {
        url, header,
        onOpen: (fn) => ws.on('open', () => fn({})),
        onMessage: (fn) => ws.on('message', (data, binary) => fn({ data: binary ? data : data.toString() })),
        onClose: (fn) => ws.on('close', (code, reason) => fn({ code, reason: reason.toString() })),
        onError: (fn) => ws.on('error', (e) => fn({ errMsg: e.message })),
        send: ({ data }) => ws.send(data),
        close: ({ code, reason }) => ws.close(code, reason),
      };
      wx.tasks.push(task);
      return task;
    },
    request({ url, method, header, data, success, fail }) {
      fetch(url, { method, headers: header, body: data }).then(async (res) => {
        const text = await res.text();
        let body = text;
        try { body = JSON.parse(text); } catch (e) { /* text */ }
        success({ statusCode: res.status, data: body, header: {} });
      }, (e) => fail({ errMsg: e.message }));
    },
    uploadFile({ url, filePath, name, header, success }) {
      wx.uploaded = { url, filePath, name, header };
      success({ statusCode: 201, data: JSON.stringify({ id: 'media1', kind: 'image' }) });
    },
    getStorageSync: (k) => (store.has(k) ? store.get(k) : ''),
    setStorageSync: (k, v) => store.set(k, v),
    removeStorageSync: (k) => store.delete(k),
    onAppShow: (fn) => wx.appShow.push(fn),
    offAppShow: (fn) => { wx.appShow = wx.appShow.filter((f) => f !== fn); },
    onNetworkStatusChange: () => {},
    offNetworkStatusChange: () => {},
    store,
  };
  return wx;
}

test('wxTransport + wxHttp + wxStorage: bearer header on connectSocket, login, send and receive', { timeout: 10000 }, async () => {
  const server = await startFakeServer();
  const wx = fakeWx();
  const client = createClient({
    baseUrl: server.url, transport: wxTransport(wx), http: wxHttp(wx), storage: wxStorage(wx), backoffBaseMs: 20,
  });
  try {
    await client.devLogin('mini');
    client.connect();
    await online(client);
    assert.equal(wx.tasks[0].url, `${server.url.replace('http', 'ws')}/ws`);
    assert.equal(wx.tasks[0].header.Authorization, `Bearer ${client.session.accessToken}`);
    assert.equal(server.handshakes[0].via, 'header');
    const got = client.once('message', (m) => m.body === 'from wx');
    const ack = await client.sendText('r:lobby', 'from wx');
    assert.equal((await got).seq, ack.seq);
    assert.ok(wx.store.has(`wxim:${client.user.id}:seqs`), 'read positions kept in wx storage');

    const media = await client.uploadMedia('wxfile://tmp/1.jpg');
    assert.deepEqual(media, { id: 'media1', kind: 'image' });
    assert.deepEqual(wx.uploaded, { url: `${server.url}/api/media`, filePath: 'wxfile://tmp/1.jpg', name: 'file',
      header: { Authorization: `Bearer ${client.session.accessToken}` } });

    const unwire = wakeOnWx(client, wx);
    server.closeAll(4001, 'going away');
    await waitFor(() => client.state === 'offline' || wx.tasks.length > 1, 'closed');
    wx.appShow.forEach((fn) => fn());
    await waitFor(() => wx.tasks.length === 2 && client.state === 'online', 'reconnected through wx');
    unwire();
    assert.equal(wx.appShow.length, 0);
  } finally {
    client.close();
    await server.stop();
  }
});

test('wxHttp: header names as the server spelled them (Retry-After) reach WximHttpError.retryAfter', { timeout: 5000 }, async () => {
  const wx = {
    request: ({ success }) => success({ statusCode: 503, data: '{"status":503,"code":"wechat_busy","retryable":true}',
      header: { 'Retry-After': '7', 'Content-Type': 'application/problem+json' } }),
  };
  const http = wxHttp(wx);
  const res = await http.request({ method: 'POST', url: 'https://im.example.com/x', headers: {}, body: '{}' });
  assert.equal(res.headers['retry-after'], '7');
  const client = createClient({ baseUrl: 'https://im.example.com', transport: () => ({ send() {}, close() {} }), http });
  const err = await client.wechatLogin('code1').then(() => null, (e) => e);
  assert.equal(err.status, 503);
  assert.equal(err.code, 'wechat_busy');
  assert.equal(err.retryable, true);
  assert.equal(err.retryAfter, '7');
});

test('the client asks its http adapter to end a call after its own timeout: wx.request and wx.uploadFile get `timeout`', { timeout: 5000 }, async () => {
  const seen = [];
  const wx = {
    request: (opts) => { seen.push(['request', opts.timeout]); opts.success({ statusCode: 200, data: { conversations: [] }, header: {} }); },
    uploadFile: (opts) => { seen.push(['upload', opts.timeout]); opts.success({ statusCode: 200, data: '{"id":"m1"}' }); },
  };
  const client = createClient({ baseUrl: 'https://im.example.com', transport: () => ({ send() {}, close() {} }), http: wxHttp(wx),
    httpTimeoutMs: 10000, uploadTimeoutMs: 60000 });
  client.setSession({ accessToken: 'a', refreshToken: 'r', expiresIn: 900, user: { id: 'u1' } });
  try {
    await client.conversationList();
    await client.uploadMedia('/tmp/x.jpg');
    assert.deepEqual(seen, [['request', 11000], ['upload', 61000]]);
  } finally {
    client.close(); // its refresh timer would keep the test process alive
  }
});
