// An in-process stand-in for the wxim gateway (docs/protocol.md), speaking just enough of the protocol for the SDK's
// unit tests: dev login and refresh, the /ws handshake (header or ?access_token=), welcome, ping, auth, send (cmid
// dedupe, seq per conversation, pushes), sync (paged), rooms/create/join/read, and `secure` (RSA-OAEP + AES-GCM with
// node:crypto). Tests steer it with `onFrame` hooks, `store()` (a message nobody is told about) and `closeAll(code)`.
import { createServer } from 'node:http';
import crypto from 'node:crypto';
import { WebSocketServer } from 'ws';

export async function startFakeServer(options = {}) {
  const s = {
    users: new Map(), // nickname -> user
    tokens: new Map(), // access token -> {user, exp}
    refreshTokens: new Map(), // refresh token -> user
    convs: new Map([['r:lobby', { name: 'Lobby', messages: [], members: null }]]), // members null: everyone
    acks: new Map(), // `${userId}|${cmid}` -> ack
    conns: new Set(),
    received: [], // every frame received: {user, frame, via}
    handshakes: [], // {user, via: 'header' | 'query'}
    refreshCount: 0,
    refreshStatus: 200,
    heartbeatSeconds: options.heartbeatSeconds || 25,
    pageSize: options.pageSize || 100,
    expiresIn: options.expiresIn || 900,
    onFrame: null, // (conn, frame) => true when the test handled the frame itself
    secureErrors: [], // codes to answer the next `secure` frames with
    sessionKeys: [],
  };
  let next = 0;
  const id = (p) => `${p}${(++next).toString(36)}`;

  const rsa = options.secure ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }) : null;

  s.issue = (user) => {
    const accessToken = id('at');
    const refreshToken = id('rt');
    s.tokens.set(accessToken, { user, exp: Date.now() + s.expiresIn * 1000 });
    s.refreshTokens.set(refreshToken, user);
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: s.expiresIn, user };
  };

  const json = (res, status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };

  const http = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const data = body ? JSON.parse(body) : {};
      if (req.method === 'POST' && req.url === '/api/auth/dev-login') {
        if (!s.users.has(data.nickname)) s.users.set(data.nickname, { id: id('u'), nickname: data.nickname });
        return json(res, 200, s.issue(s.users.get(data.nickname)));
      }
      if (req.method === 'POST' && req.url === '/api/auth/refresh') {
        s.refreshCount++;
        const user = s.refreshTokens.get(data.refreshToken);
        if (s.refreshStatus !== 200 || !user) return json(res, s.refreshStatus === 200 ? 401 : s.refreshStatus, { title: 'no' });
        s.refreshTokens.delete(data.refreshToken);
        return json(res, 200, s.issue(user));
      }
      if (req.method === 'GET' && req.url === '/api/auth/keys' && rsa) {
        const jwk = rsa.publicKey.export({ format: 'jwk' });
        return json(res, 200, { current: 'k1', keys: [{ ...jwk, kid: 'k1', use: 'enc', alg: 'RSA-OAEP-256' }] });
      }
      return json(res, 404, { title: 'not found' });
    });
  });

  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://x');
    const header = req.headers.authorization;
    const token = header ? header.replace(/^Bearer /, '') : url.searchParams.get('access_token');
    const session = s.tokens.get(token);
    if (url.pathname !== '/ws' || !session || session.exp < Date.now()) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    s.handshakes.push({ user: session.user, via: header ? 'header' : 'query', token });
    wss.handleUpgrade(req, socket, head, (ws) => open(ws, session.user));
  });

  const memberOf = (conv, user) => {
    const c = s.convs.get(conv);
    return c && (c.members === null || c.members.has(user.id));
  };

  function sendTo(conn, frame) {
    if (conn.ws.readyState !== 1) return;
    const text = JSON.stringify(frame);
    if (!conn.cipher) {
      conn.ws.send(text);
      return;
    }
    const c = ++conn.sent;
    const nonce = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', conn.cipher, nonce);
    cipher.setAAD(Buffer.from(`s2c|${c}`));
    const data = Buffer.concat([cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    conn.ws.send(JSON.stringify({ type: 'sec', c, n: nonce.toString('base64'), d: data.toString('base64') }));
  }
  s.sendTo = sendTo;

  /** Stores a message (no push); returns it. */
  s.store = (conv, from, body, cmid = id('srv')) => {
    const c = s.convs.get(conv);
    const m = { type: 'message', conv, seq: c.messages.length + 1, id: id('m'), from, cmid, kind: 'text', body, ts: Date.now() };
    c.messages.push(m);
    return m;
  };
  /**
   * Recalls message `seq` for `by` as history does: drops its body and stores a recall notice (kind `recall`, body
   * the seq); returns the notice (no push).
   */
  s.recall = (conv, seq, by) => {
    const c = s.convs.get(conv);
    const target = c.messages[seq - 1];
    delete target.body;
    target.recalled = true;
    const notice = { type: 'message', conv, seq: c.messages.length + 1, id: id('m'), from: by, cmid: `~recall:${seq}`, kind: 'recall', body: String(seq), ts: Date.now() };
    c.messages.push(notice);
    return notice;
  };
  /** Pushes a message to every connection of every member. */
  s.push = (m) => {
    for (const conn of s.conns) if (memberOf(m.conv, conn.user)) sendTo(conn, m);
  };
  /** Sends one frame to every connection. */
  s.broadcast = (frame) => { for (const conn of s.conns) sendTo(conn, frame); };
  s.closeAll = (code, reason = '') => { for (const conn of s.conns) conn.ws.close(code, reason); };
  s.messages = (conv) => s.convs.get(conv).messages;

  function welcome(conn) {
    const conversations = [];
    for (const [conv, c] of s.convs) {
      if (memberOf(conv, conn.user)) conversations.push({ conv, name: c.name, lastSeq: c.messages.length, online: 1 });
    }
    sendTo(conn, { type: 'welcome', user: conn.user, conversations, heartbeatSeconds: s.heartbeatSeconds });
  }

  function open(ws, user) {
    const conn = { ws, user, cipher: null, sent: 0, received: 0 };
    s.conns.add(conn);
    ws.on('close', () => s.conns.delete(conn));
    ws.on('message', (data) => {
      let text = data.toString();
      if (conn.cipher) {
        try {
          const f = JSON.parse(text);
          if (f.type !== 'sec' || f.c <= conn.received) throw new Error('order');
          const raw = Buffer.from(f.d, 'base64');
          const decipher = crypto.createDecipheriv('aes-256-gcm', conn.cipher, Buffer.from(f.n, 'base64'));
          decipher.setAAD(Buffer.from(`c2s|${f.c}`));
          decipher.setAuthTag(raw.subarray(raw.length - 16));
          text = Buffer.concat([decipher.update(raw.subarray(0, raw.length - 16)), decipher.final()]).toString('utf8');
          conn.received = f.c;
        } catch (e) {
          ws.close(4005, 'invalid secure frame');
          return;
        }
      }
      const frame = JSON.parse(text);
      s.received.push({ user, frame, secure: !!conn.cipher });
      if (s.onFrame && s.onFrame(conn, frame)) return;
      handle(conn, frame);
    });
    welcome(conn);
  }

  s.handle = (conn, f) => handle(conn, f);

  function handle(conn, f) {
    const { user } = conn;
    const reply = (frame) => sendTo(conn, { ...frame, rid: f.rid });
    const error = (code, retry = false) => sendTo(conn, { type: 'error', rid: f.rid, cmid: f.cmid, code, message: code, retry });
    switch (f.type) {
      case 'ping': return reply({ type: 'pong', ts: Date.now() });
      case 'auth': {
        const t = s.tokens.get(f.token);
        if (!t || t.user.id !== user.id) return error('unauthorized');
        return reply({ type: 'authed', expiresAt: t.exp });
      }
      case 'secure': {
        if (!rsa) return error('unsupported');
        if (s.secureErrors.length) {
          const code = s.secureErrors.shift();
          return error(code, code === 'unknown_key' || code === 'rate_limited');
        }
        const key = crypto.privateDecrypt({ key: rsa.privateKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
          Buffer.from(f.key, 'base64'));
        s.sessionKeys.push(key.toString('base64'));
        reply({ type: 'secured', kid: f.kid });
        conn.cipher = key;
        return undefined;
      }
      case 'send': {
        const key = `${user.id}|${f.cmid}`;
        if (s.acks.has(key)) return reply(s.acks.get(key));
        let { conv } = f;
        if (f.to) {
          const peer = [...s.users.values()].find((u) => u.id === f.to);
          if (!peer) return error('not_found');
          conv = `d:${crypto.createHash('sha256').update([user.id, peer.id].sort().join('\n')).digest('hex').slice(0, 40)}`;
          if (!s.convs.has(conv)) s.convs.set(conv, { name: peer.nickname, messages: [], members: new Set([user.id, peer.id]) });
        }
        if (!memberOf(conv, user)) return error('not_found');
        const m = s.store(conv, { id: user.id, nickname: user.nickname }, f.body, f.cmid);
        const ack = { type: 'ack', cmid: f.cmid, conv, seq: m.seq, id: m.id, ts: m.ts };
        s.acks.set(key, ack);
        reply(ack);
        s.push(m);
        return undefined;
      }
      case 'sync': {
        for (const conv of Object.keys(f.convs).sort()) {
          if (!memberOf(conv, user)) {
            sendTo(conn, { type: 'error', rid: f.rid, conv, code: 'not_found', message: 'not_found', retry: false });
            continue;
          }
          const after = f.convs[conv];
          const all = s.convs.get(conv).messages.filter((m) => m.seq > after);
          const page = all.slice(0, Math.min(s.pageSize, f.limit || 100));
          reply({ type: 'synced', conv, messages: page, more: all.length > page.length });
        }
        return undefined;
      }
      case 'rooms':
        return reply({ type: 'rooms', rooms: [...s.convs].filter(([c]) => c.startsWith('r:'))
          .map(([conv, c]) => ({ conv, name: c.name, online: 1, member: memberOf(conv, user) })) });
      case 'create': {
        const conv = `r:${id('room')}`;
        s.convs.set(conv, { name: f.name, messages: [], members: new Set([user.id]) });
        return reply({ type: 'joined', conv, name: f.name, online: 1, lastSeq: 0 });
      }
      case 'join': {
        const c = s.convs.get(f.conv);
        if (!c || !f.conv.startsWith('r:')) return error('not_found');
        if (c.members) c.members.add(user.id);
        return reply({ type: 'joined', conv: f.conv, name: c.name, online: 1, lastSeq: c.messages.length });
      }
      case 'read': {
        if (!memberOf(f.conv, user)) return error('not_found');
        return reply({ type: 'read', conv: f.conv, seq: f.seq, unread: s.convs.get(f.conv).messages.length - f.seq });
      }
      default:
        return error('unknown_type');
    }
  }

  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  s.url = `http://127.0.0.1:${http.address().port}`;
  s.stop = () => new Promise((resolve) => {
    for (const conn of s.conns) conn.ws.terminate();
    wss.close();
    http.closeAllConnections?.();
    http.close(() => resolve());
  });
  return s;
}
