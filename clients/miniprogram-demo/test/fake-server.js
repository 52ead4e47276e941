// An in-process stand-in for the wxim gateway, enough of docs/protocol.md for the demo's page tests. Adapted from
// clients/js/test/fake-server.mjs (the SDK's), plus what the demo uses: WeChat login (codes valid once), media
// upload (multipart, type from the content) with signed links, history, the conversation list with unread counts,
// online counts, typing, recall, pairing, logout. Not a reference implementation: no limits, no persistence.
const http = require('node:http');
const crypto = require('node:crypto');
const { WebSocketServer } = require('ws');

const SECRET = crypto.randomBytes(16);
const LINK_MS = 3600 * 1000;

/** The media kind and type from the first bytes, as the server decides it (never from names). */
function sniff(b) {
  const hex = b.subarray(0, 12).toString('hex');
  if (hex.startsWith('89504e47')) return ['image', 'image/png'];
  if (hex.startsWith('ffd8ff')) return ['image', 'image/jpeg'];
  if (hex.startsWith('fff1') || hex.startsWith('fff9')) return ['audio', 'audio/aac'];
  if (hex.startsWith('494433') || hex.startsWith('fffb')) return ['audio', 'audio/mpeg'];
  if (hex.startsWith('52494646') && b.subarray(8, 12).toString() === 'WAVE') return ['audio', 'audio/wav'];
  if (b.subarray(4, 8).toString() === 'ftyp') return ['audio', 'audio/mp4'];
  return [null, null];
}

/** The bytes of the multipart part named `file` and its headers, or null. */
function filePart(body, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType || '');
  if (!m) return null;
  const boundary = Buffer.from(`--${m[1] || m[2]}`);
  let at = body.indexOf(boundary);
  while (at >= 0) {
    const next = body.indexOf(boundary, at + boundary.length);
    if (next < 0) break;
    const part = body.subarray(at + boundary.length + 2, next - 2); // skip CRLF after boundary, before next
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString();
    if (/name="file"/.test(head)) return { head, data: part.subarray(split + 4) };
    at = next;
  }
  return null;
}

async function startFakeServer() {
  const s = {
    users: new Map(), // id -> user
    byNickname: new Map(),
    byOpenid: new Map(),
    usedCodes: new Set(),
    wechatFailures: [], // statuses to answer the next WeChat logins with (retryable 503 etc.)
    frameFailures: [], // [type, code]: the next frame of that type is answered with that retryable error
    wechatLogins: [], // codes seen
    tokens: new Map(), // access token -> {user, sid}
    refreshTokens: new Map(), // refresh token -> {user, sid}
    revoked: new Set(), // sids
    convs: new Map([['r:lobby', { name: 'Lobby', kind: 'room', messages: [], members: null }]]),
    acks: new Map(),
    reads: new Map(), // `${userId}|${conv}` -> seq
    media: new Map(), // id -> {owner, kind, contentType, data, size}
    uploads: [], // {user, filename, contentType, size, kind}
    pairRequests: new Map(), // `${from}|${to}` -> {from, to, expiresAt}
    conns: new Set(),
    received: [],
    handshakes: [],
  };
  let next = 0;
  const id = (p) => `${p}${(++next).toString(36)}`;

  s.issue = (user, sid = id('sid')) => {
    const accessToken = id('at');
    const refreshToken = id('rt');
    s.tokens.set(accessToken, { user, sid });
    s.refreshTokens.set(refreshToken, { user, sid });
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: 900, user };
  };
  const newUser = (nickname) => {
    const user = { id: id('u'), nickname };
    s.users.set(user.id, user);
    return user;
  };

  const sign = (mid, v, exp) => crypto.createHmac('sha256', SECRET).update(`${mid}|${v}|${exp}`).digest('hex').slice(0, 20);
  s.links = (mid) => {
    const m = s.media.get(mid);
    const expiresAt = Date.now() + LINK_MS;
    const exp = Math.floor(expiresAt / 1000);
    const url = `/api/media/${mid}?exp=${exp}&sig=${sign(mid, '', exp)}`;
    const links = { id: mid, url, expiresAt };
    if (m.kind === 'image') links.thumbUrl = `/api/media/${mid}?v=thumb&exp=${exp}&sig=${sign(mid, 'thumb', exp)}`;
    return links;
  };

  const send = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'Content-Type': typeof body === 'string' || Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json', ...headers });
    res.end(body === undefined ? '' : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
  };
  const problem = (res, status, extra = {}) => send(res, status, { title: http.STATUS_CODES[status], status, ...extra },
    { 'Content-Type': 'application/problem+json', ...(extra.retryable ? { 'Retry-After': '2' } : {}) });
  const bearer = (req) => {
    const t = s.tokens.get((req.headers.authorization || '').replace(/^Bearer /, ''));
    return t && !s.revoked.has(t.sid) ? t : null;
  };
  const memberOf = (conv, user) => {
    const c = s.convs.get(conv);
    return !!c && (c.members === null || c.members.has(user.id));
  };
  const onlineIds = () => new Set([...s.conns].map((c) => c.user.id));
  const onlineIn = (conv) => [...onlineIds()].filter((uid) => memberOf(conv, { id: uid })).length;

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url, 'http://x');
      const path = url.pathname;
      const json = () => (raw.length ? JSON.parse(raw.toString()) : {});
      if (req.method === 'POST' && path === '/api/auth/dev-login') {
        const { nickname } = json();
        if (!nickname) return problem(res, 400);
        if (!s.byNickname.has(nickname)) s.byNickname.set(nickname, newUser(nickname));
        return send(res, 200, s.issue(s.byNickname.get(nickname)));
      }
      if (req.method === 'POST' && path === '/api/auth/wechat/login') {
        const { code } = json();
        s.wechatLogins.push(code);
        if (!code) return problem(res, 400);
        if (s.usedCodes.has(code)) return problem(res, 400, { code: 'code_used', retryable: false });
        s.usedCodes.add(code);
        const failure = s.wechatFailures.shift();
        if (failure) return problem(res, failure, { code: 'wechat_busy', retryable: true });
        const openid = code.split(':')[1] || 'openid';
        if (!s.byOpenid.has(openid)) s.byOpenid.set(openid, newUser(`wx-${openid}`));
        return send(res, 200, s.issue(s.byOpenid.get(openid)));
      }
      if (req.method === 'POST' && path === '/api/auth/refresh') {
        const t = s.refreshTokens.get(json().refreshToken);
        if (!t || s.revoked.has(t.sid)) return problem(res, 401);
        s.refreshTokens.delete(json().refreshToken);
        return send(res, 200, s.issue(t.user, t.sid));
      }
      if (req.method === 'POST' && path === '/api/auth/logout') {
        const t = bearer(req);
        if (!t) return problem(res, 401);
        s.revoked.add(t.sid);
        for (const conn of s.conns) if (conn.sid === t.sid) conn.ws.close(4501, 'session ended');
        return send(res, 204);
      }
      if (req.method === 'POST' && path === '/api/media') {
        const t = bearer(req);
        if (!t) return problem(res, 401);
        const part = filePart(raw, req.headers['content-type']);
        if (!part || !part.data.length) return problem(res, 400, { detail: 'no file part' });
        const [kind, contentType] = sniff(part.data);
        const filename = (/filename="([^"]*)"/.exec(part.head) || [])[1];
        s.uploads.push({ user: t.user.id, filename, size: part.data.length, kind, header: req.headers.authorization });
        if (!kind) return problem(res, 415);
        const mid = id('media');
        s.media.set(mid, { owner: t.user.id, kind, contentType, data: Buffer.from(part.data), size: part.data.length });
        const extra = kind === 'image' ? { width: 1, height: 1 } : {};
        return send(res, 201, { kind, contentType, size: part.data.length, ...extra, ...s.links(mid) });
      }
      let m = /^\/api\/media\/([^/]+)\/url$/.exec(path);
      if (req.method === 'GET' && m) {
        if (!bearer(req) || !s.media.has(m[1])) return problem(res, bearer(req) ? 404 : 401);
        return send(res, 200, s.links(m[1]));
      }
      m = /^\/api\/media\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && m) {
        const file = s.media.get(m[1]);
        const v = url.searchParams.get('v') || '';
        const exp = Number(url.searchParams.get('exp'));
        if (!file) return problem(res, 404);
        if (url.searchParams.get('sig') !== sign(m[1], v, exp) || exp * 1000 < Date.now()) return problem(res, 403);
        return send(res, 200, file.data, { 'Content-Type': v === 'thumb' ? 'image/jpeg' : file.contentType });
      }
      m = /^\/api\/history\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && m) {
        const t = bearer(req);
        if (!t) return problem(res, 401);
        const conv = decodeURIComponent(m[1]);
        if (!memberOf(conv, t.user)) return problem(res, 404);
        const limit = Number(url.searchParams.get('limit')) || 50;
        const all = s.convs.get(conv).messages.map(view);
        const page = all.slice(-limit);
        return send(res, 200, { conv, messages: page, more: all.length > page.length });
      }
      if (req.method === 'GET' && path === '/api/chat/conversations') {
        const t = bearer(req);
        if (!t) return problem(res, 401);
        const conversations = [];
        for (const [conv, c] of s.convs) {
          if (!memberOf(conv, t.user)) continue;
          const lastSeq = c.messages.length;
          const peer = c.members && c.kind !== 'room' ? s.users.get([...c.members].find((u) => u !== t.user.id)) : undefined;
          const item = { conv, kind: c.kind, name: peer ? peer.nickname : c.name, lastSeq,
            unread: Math.max(0, lastSeq - (s.reads.get(`${t.user.id}|${conv}`) || 0)) };
          if (peer) item.peer = peer;
          if (lastSeq) item.lastMessage = view(c.messages[lastSeq - 1]);
          if (c.kind === 'pair') item.active = c.active;
          conversations.push(item);
        }
        return send(res, 200, { conversations });
      }
      return problem(res, 404);
    });
  });

  /** A stored message as sent on the wire: media with fresh signed links, recalled ones without body/media. */
  function view(msg) {
    if (msg.recalled) {
      const { body, media, duration, ...rest } = msg;
      return { ...rest, recalled: true };
    }
    if (!msg.media) return msg;
    const file = s.media.get(msg.media);
    return { ...msg, media: { contentType: file.contentType, size: file.size, ...s.links(msg.media) } };
  }

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://x');
    const header = req.headers.authorization;
    const token = header ? header.replace(/^Bearer /, '') : url.searchParams.get('access_token');
    const t = s.tokens.get(token);
    if (url.pathname !== '/ws' || !t || s.revoked.has(t.sid)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    s.handshakes.push({ user: t.user, via: header ? 'header' : 'query' });
    wss.handleUpgrade(req, socket, head, (ws) => open(ws, t));
  });

  const sendTo = (conn, frame) => { if (conn.ws.readyState === 1) conn.ws.send(JSON.stringify(frame)); };
  const toUser = (uid, frame, except) => { for (const c of s.conns) if (c.user.id === uid && c !== except) sendTo(c, frame); };
  const toConv = (conv, frame) => { for (const c of s.conns) if (memberOf(conv, c.user)) sendTo(c, frame); };
  s.closeAll = (code, reason = '') => { for (const conn of s.conns) conn.ws.close(code, reason); };
  s.messages = (conv) => s.convs.get(conv).messages;
  s.roomByName = (name) => [...s.convs].find(([, c]) => c.name === name)[0];

  function open(ws, t) {
    const conn = { ws, user: t.user, sid: t.sid };
    const wasOnline = onlineIds().has(t.user.id);
    s.conns.add(conn);
    if (!wasOnline) toConv('r:lobby', { type: 'memberJoined', conv: 'r:lobby', user: t.user, online: onlineIn('r:lobby') });
    ws.on('close', () => {
      s.conns.delete(conn);
      if (!onlineIds().has(t.user.id)) toConv('r:lobby', { type: 'memberLeft', conv: 'r:lobby', user: t.user, online: onlineIn('r:lobby') });
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      s.received.push({ user: t.user, frame });
      handle(conn, frame);
    });
    const conversations = [...s.convs].filter(([conv]) => memberOf(conv, t.user))
      .map(([conv, c]) => ({ conv, name: c.name, lastSeq: c.messages.length, online: c.kind === 'room' ? onlineIn(conv) : 0 }));
    sendTo(conn, { type: 'welcome', user: t.user, conversations, heartbeatSeconds: 25 });
  }

  function store(conv, user, f) {
    const c = s.convs.get(conv);
    const msg = { type: 'message', conv, seq: c.messages.length + 1, id: id('m'), from: { id: user.id, nickname: user.nickname },
      cmid: f.cmid, kind: f.kind || 'text', ts: Date.now() };
    if (msg.kind === 'text') msg.body = f.body;
    else if (msg.kind !== 'recall') msg.media = f.media;
    if (msg.kind === 'audio') msg.duration = f.duration;
    c.messages.push(msg);
    s.reads.set(`${user.id}|${conv}`, msg.seq);
    return msg;
  }

  function handle(conn, f) {
    const { user } = conn;
    const reply = (frame) => sendTo(conn, { ...frame, rid: f.rid });
    const error = (code) => sendTo(conn, { type: 'error', rid: f.rid, cmid: f.cmid, code, message: code, retry: false });
    const pairOf = (uid) => [...s.convs].find(([, c]) => c.kind === 'pair' && c.active && c.members.has(uid));
    const failure = s.frameFailures.findIndex(([type]) => type === f.type);
    if (failure >= 0) {
      const [[, code]] = s.frameFailures.splice(failure, 1);
      return sendTo(conn, { type: 'error', rid: f.rid, cmid: f.cmid, code, message: code, retry: true });
    }
    switch (f.type) {
      case 'ping': return reply({ type: 'pong', ts: Date.now() });
      case 'send': {
        const key = `${user.id}|${f.cmid}`;
        if (s.acks.has(key)) return reply(s.acks.get(key));
        let { conv } = f;
        if (f.to) {
          const peer = s.users.get(f.to);
          if (!peer || peer.id === user.id) return error(peer ? 'bad_request' : 'not_found');
          conv = `d:${crypto.createHash('sha256').update([user.id, peer.id].sort().join('\n')).digest('hex').slice(0, 40)}`;
          if (!s.convs.has(conv)) s.convs.set(conv, { kind: 'direct', messages: [], members: new Set([user.id, peer.id]) });
        }
        if (!memberOf(conv, user)) return error('not_found');
        const c = s.convs.get(conv);
        if (c.kind === 'pair' && !c.active) return error('conflict');
        const kind = f.kind || 'text';
        if (kind === 'text' && !(f.body || '').trim()) return error('bad_request');
        if (kind !== 'text') {
          const file = s.media.get(f.media);
          if (!file || file.owner !== user.id) return error('not_found');
          if (file.kind !== kind || (kind === 'audio' && !(f.duration >= 1))) return error('bad_request');
        }
        const msg = store(conv, user, f);
        const ack = { type: 'ack', cmid: f.cmid, conv, seq: msg.seq, id: msg.id, ts: msg.ts };
        s.acks.set(key, ack);
        reply(ack);
        toConv(conv, view(msg));
        return undefined;
      }
      case 'sync':
        for (const conv of Object.keys(f.convs).sort()) {
          if (!memberOf(conv, user)) {
            sendTo(conn, { type: 'error', rid: f.rid, conv, code: 'not_found', message: 'not_found', retry: false });
            continue;
          }
          const all = s.convs.get(conv).messages.filter((m) => m.seq > f.convs[conv]);
          const page = all.slice(0, f.limit || 100);
          reply({ type: 'synced', conv, messages: page.map(view), more: all.length > page.length });
        }
        return undefined;
      case 'rooms':
        return reply({ type: 'rooms', rooms: [...s.convs].filter(([, c]) => c.kind === 'room')
          .map(([conv, c]) => ({ conv, name: c.name, online: onlineIn(conv), member: memberOf(conv, user) })) });
      case 'create': {
        const conv = `r:${id('room')}`;
        s.convs.set(conv, { name: f.name, kind: 'room', messages: [], members: new Set([user.id]) });
        toUser(user.id, { type: 'joined', conv, name: f.name, online: onlineIn(conv), lastSeq: 0 }, conn); // other devices
        return reply({ type: 'joined', conv, name: f.name, online: onlineIn(conv), lastSeq: 0 });
      }
      case 'join': {
        const c = s.convs.get(f.conv);
        if (!c || c.kind !== 'room') return error('not_found');
        const already = memberOf(f.conv, user);
        if (c.members) c.members.add(user.id);
        reply({ type: 'joined', conv: f.conv, name: c.name, online: onlineIn(f.conv), lastSeq: c.messages.length });
        toUser(user.id, { type: 'joined', conv: f.conv, name: c.name, online: onlineIn(f.conv), lastSeq: c.messages.length }, conn);
        if (!already) toConv(f.conv, { type: 'memberJoined', conv: f.conv, user, online: onlineIn(f.conv) });
        return undefined;
      }
      case 'leave': {
        const c = s.convs.get(f.conv);
        if (f.conv === 'r:lobby') return error('bad_request');
        if (!c || c.kind !== 'room' || !memberOf(f.conv, user)) return error('not_found');
        c.members.delete(user.id);
        toUser(user.id, { type: 'left', conv: f.conv }, conn); // other devices
        return reply({ type: 'left', conv: f.conv });
      }
      case 'read': {
        if (!memberOf(f.conv, user)) return error('not_found');
        const key = `${user.id}|${f.conv}`;
        const seq = Math.max(s.reads.get(key) || 0, f.seq);
        s.reads.set(key, seq);
        return reply({ type: 'read', conv: f.conv, seq, unread: s.convs.get(f.conv).messages.length - seq });
      }
      case 'typing': {
        const c = s.convs.get(f.conv);
        if (!c || c.kind === 'room') return error('bad_request');
        if (!memberOf(f.conv, user)) return error('not_found');
        for (const uid of c.members) if (uid !== user.id) toUser(uid, { type: 'typing', conv: f.conv, user });
        return undefined;
      }
      case 'recall': {
        if (!memberOf(f.conv, user)) return error('not_found');
        const msg = s.convs.get(f.conv).messages[f.seq - 1];
        if (!msg) return error('not_found');
        if (msg.from.id !== user.id) return error('forbidden');
        if (msg.kind === 'recall') return error('bad_request');
        if (!msg.recalled && Date.now() - msg.ts > 120000) return error('expired');
        const first = !msg.recalled;
        msg.recalled = true;
        if (first) { // as history: a stored recall notice (next seq), delivered like a message, then the event
          const notice = store(f.conv, user, { cmid: `~recall:${f.seq}`, kind: 'recall' });
          notice.body = String(f.seq);
          toConv(f.conv, notice);
        }
        const frame = { type: 'recalled', conv: f.conv, seq: f.seq, id: msg.id, by: user.id };
        reply(frame);
        toConv(f.conv, frame);
        return undefined;
      }
      case 'pairRequest': {
        const target = s.users.get(f.to);
        if (!target) return error('not_found');
        if (target.id === user.id) return error('bad_request');
        if (pairOf(user.id) || pairOf(target.id)) return error('conflict');
        const key = `${user.id}|${target.id}`;
        if (!s.pairRequests.has(key)) s.pairRequests.set(key, { from: user, to: target, expiresAt: Date.now() + 120000 });
        const r = s.pairRequests.get(key);
        reply({ type: 'pairRequestSent', to: target, expiresAt: r.expiresAt });
        toUser(user.id, { type: 'pairRequestSent', to: target, expiresAt: r.expiresAt }, conn);
        toUser(target.id, { type: 'pairRequested', from: user, expiresAt: r.expiresAt });
        return undefined;
      }
      case 'pairCancel':
      case 'pairDecline': {
        const [from, to] = f.type === 'pairCancel' ? [user.id, f.to] : [f.from, user.id];
        if (!s.pairRequests.delete(`${from}|${to}`)) return error('not_found');
        const frame = { type: 'pairRequestClosed', from, to, reason: f.type === 'pairCancel' ? 'cancelled' : 'declined' };
        reply(frame);
        toUser(user.id, frame, conn);
        toUser(f.type === 'pairCancel' ? to : from, frame);
        return undefined;
      }
      case 'pairPending':
        return reply({ type: 'pairRequests', requests: [...s.pairRequests.values()].filter((r) => r.to.id === user.id)
          .map((r) => ({ from: r.from, expiresAt: r.expiresAt })) });
      case 'pairAccept': {
        const r = s.pairRequests.get(`${f.from}|${user.id}`);
        if (!r) return error('not_found');
        if (pairOf(user.id) || pairOf(f.from)) return error('conflict');
        s.pairRequests.delete(`${f.from}|${user.id}`);
        for (const [key, other] of s.pairRequests) {
          if ([other.from.id, other.to.id].some((u) => u === user.id || u === f.from)) {
            s.pairRequests.delete(key);
            const closed = { type: 'pairRequestClosed', from: other.from.id, to: other.to.id, reason: 'busy' };
            toUser(other.from.id, closed);
            toUser(other.to.id, closed);
          }
        }
        const conv = `p:${crypto.randomBytes(8).toString('hex')}`;
        s.convs.set(conv, { kind: 'pair', active: true, messages: [], members: new Set([user.id, f.from]) });
        reply({ type: 'pairStarted', conv, peer: r.from });
        toUser(user.id, { type: 'pairStarted', conv, peer: r.from }, conn);
        toUser(f.from, { type: 'pairStarted', conv, peer: user });
        return undefined;
      }
      case 'pairLeave': {
        const c = s.convs.get(f.conv);
        if (!c || c.kind !== 'pair' || !c.active || !c.members.has(user.id)) return error('not_found');
        c.active = false;
        const peer = [...c.members].find((u) => u !== user.id);
        reply({ type: 'pairEnded', conv: f.conv, peer, reason: 'left' });
        toUser(user.id, { type: 'pairEnded', conv: f.conv, peer, reason: 'left' }, conn);
        toUser(peer, { type: 'pairEnded', conv: f.conv, peer: user.id, reason: 'peer_left' });
        return undefined;
      }
      default:
        return error('unknown_type');
    }
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  s.url = `http://127.0.0.1:${server.address().port}`;
  s.stop = () => new Promise((resolve) => {
    for (const conn of s.conns) conn.ws.terminate();
    wss.close();
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return s;
}

module.exports = { startFakeServer, sniff };
