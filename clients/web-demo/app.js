// wxim local demo: plain browser JavaScript, no build step. Shows the protocol (docs/protocol.md) in action:
// welcome -> sync from the last seq, dedupe by seq, outbox resent with the same cmid after reconnect,
// reconnect with exponential backoff and full jitter, app-level ping with dead-socket detection, access token
// renewal (in-band `auth` while connected, a refresh before reconnecting); direct messages, the 1v1 pairing flow
// (request -> accept -> chat -> leave), unread counts with read marks, typing and recall.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const STABLE_MS = 30000; // a connection that lasted this long resets the reconnect backoff
  const REFRESH_WAIT_MS = 15000; // a token refresh with no answer by then counts as failed (its answer is still used)
  // a token refresh with no answer by then is aborted: the gateway answers within its proxy timeout (10 s), so by
  // then the answer was lost on the way, and only then is the same refresh token presented again, still within
  // auth-service's retry grace (30 s after its first presentation; it used to be 2 min, past the grace)
  const REFRESH_GIVE_UP_MS = 20000;
  const RENEW_RETRY_MS = 5000; // a failed renewal while connected is tried again this soon: within the retry grace (30 s)
  const RENEW_TRIES = 3;
  let logins = 0; // numbers each login: work begun for one login stops once another login replaced it
  const initial = () => ({
    session: 0, token: null, refreshToken: null, refreshAt: 0, me: null, stopped: false,
    refreshing: null, // {token, promise}: the POST /api/auth/refresh on its way, also past REFRESH_WAIT_MS
    ws: null, wsToken: null, welcomed: false, failed: 0, // failed: handshakes in a row closed before their welcome
    backoff: 0, onlineAt: 0, heartbeat: 25,
    ping: null, dead: null, renew: null, reconnect: null, // timers, all cleared on close
    resends: new Map(), // cmid -> {timer, tries}: sends refused with a retryable error, waiting to be resent
    current: 'r:lobby', names: { 'r:lobby': 'Lobby' }, online: {}, rooms: [],
    lastSeq: {},    // conv -> highest contiguous seq held
    messages: {},   // conv -> Map(seq -> message)
    recalled: {},   // conv -> Set(seq) of recalls seen (a recalled message may arrive after its notice)
    outbox: new Map(), // cmid -> send frame, until acked
    chats: {},      // d:/p: conv -> {peer, active}
    unread: {},     // conv -> unread count
    requests: new Map(), // requester id -> {from, expiresAt}
    activePair: null, startedPairs: new Set(), typingAt: 0,
    readSeq: {},    // conv -> seq last marked read from here
  });
  const state = initial();

  $('login-form').onsubmit = async (e) => {
    e.preventDefault();
    $('login-error').textContent = '';
    try {
      const res = await fetch('/api/auth/dev-login', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ nickname: $('nickname').value.trim() }),
      });
      const body = await res.json();
      if (!res.ok) throw new Error(body.detail || body.title || res.status);
      clearTimers(); // a login replaces the session: its connection, timers and refresh answers are done with
      if (state.ws) drop(state.ws);
      if (state.me && state.me.id !== body.user.id) Object.assign(state, initial()); // another user: start afresh
      state.session = ++logins;
      state.stopped = false;
      useTokens(body);
      state.me = body.user;
      $('me').textContent = body.user.nickname;
      $('login').hidden = true;
      $('app').hidden = false;
      connect();
    } catch (err) {
      $('login-error').textContent = 'Login failed: ' + err.message;
    }
  };

  function useTokens(body) {
    state.token = body.accessToken;
    state.refreshToken = body.refreshToken;
    state.refreshAt = Date.now() + body.expiresIn * 1000 * 0.9; // renew a little before expiry (15 min: 90 s)
    state.failed = 0;
  }

  /** Opens the socket; first refreshes the token if it is (nearly) expired, or if handshakes keep failing: a
   *  refused handshake (401, e.g. an expired token after a laptop sleep) shows in the browser only as close 1006. */
  async function connect() {
    const session = state.session;
    if (Date.now() >= state.refreshAt || state.failed >= 3) await refresh();
    if (state.stopped || state.session !== session) return; // ended, or another login took over meanwhile
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/ws?access_token=${encodeURIComponent(state.token)}`);
    state.ws = ws;
    state.wsToken = state.token;
    state.welcomed = false;
    setStatus('connecting');
    alive(ws);
    ws.onmessage = (e) => { handle(JSON.parse(e.data)); alive(ws); };
    ws.onclose = (e) => onClose(e.code);
  }

  /** Any frame proves the socket alive. Nothing for 2 heartbeats (pongs stopped, or the laptop slept): it is dead,
   *  though the browser may not notice for minutes. Drop it and reconnect. */
  function alive(ws) {
    clearTimeout(state.dead);
    state.dead = setTimeout(() => { drop(ws); onClose(1006); }, 2 * state.heartbeat * 1000);
  }

  function drop(ws) {
    ws.onclose = ws.onmessage = null; // do not wait for a close handshake a dead socket never completes
    ws.close();
  }

  function clearTimers() {
    clearInterval(state.ping);
    clearTimeout(state.dead);
    clearTimeout(state.renew);
    state.renewal = null; // a renewal on its way does not try again
    clearTimeout(state.reconnect);
    for (const r of state.resends.values()) clearTimeout(r.timer); // welcome resends the whole outbox anyway
    state.resends.clear();
  }

  const jitter = (n) => Math.random() * Math.min(10000, 500 * 2 ** n); // full jitter

  function onClose(code) {
    clearTimers();
    setStatus('offline');
    if (state.stopped) return;
    if ((code >= 4500 && code < 5000) || code === 1002 || code === 1007) { // stop: retrying cannot help
      state.stopped = true;
      event(state.current, `disconnected (${code}); please reload and log in again`);
      return;
    }
    if (code === 4003) state.refreshAt = 0; // token expired: refresh before reconnecting
    if (!state.welcomed) state.failed++;
    else if (Date.now() - state.onlineAt >= STABLE_MS) state.backoff = 0;
    state.reconnect = setTimeout(connect, jitter(state.backoff++));
  }

  /** New tokens for the refresh token; true if they are in use within REFRESH_WAIT_MS. A refresh token works once:
   *  presented again it revokes the whole session, except as a retry within the retry grace (30 s after its first
   *  presentation) of a refresh whose answer was lost (protocol.md, POST /api/auth/refresh). So a refresh token is never
   *  presented twice while its first presentation may still answer: a refresh while the call for the same token is on
   *  its way (also past the wait) waits for that call, and a late answer is still used; a failed one is retried soon. */
  function refresh() {
    const call = state.refreshing?.token === state.refreshToken ? state.refreshing : presentRefreshToken();
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), REFRESH_WAIT_MS); // failed for now: the backoff goes on
      call.promise.then((ok) => { clearTimeout(timer); resolve(ok); });
    });
  }

  /** Aborts after `ms` (AbortSignal.timeout where the browser has it, else an AbortController and a timer). */
  function timeoutSignal(ms) {
    if (typeof AbortSignal.timeout === 'function') return AbortSignal.timeout(ms);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), ms);
    return ctl.signal;
  }

  /** POST /api/auth/refresh with the current refresh token; resolves true once its new pair is in use. Its answer
   *  counts only while that token is still the current one: an answer that comes after a login replaced the session
   *  (a pair or a refusal alike) belongs to a session that is gone, and is dropped. */
  function presentRefreshToken() {
    const sent = state.refreshToken;
    const current = () => state.refreshToken === sent;
    const call = { token: sent };
    call.promise = (async () => {
      try {
        const res = await fetch('/api/auth/refresh', {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refreshToken: sent }), signal: timeoutSignal(REFRESH_GIVE_UP_MS),
        });
        if (!current()) return false;
        if (res.status === 401 || res.status === 403) { endSession('Session expired, log in again.'); return false; }
        if (!res.ok) return false; // e.g. 503: try again at the next reconnect
        const body = await res.json();
        if (!current()) return false;
        useTokens(body);
        if (state.welcomed) handOver(); // a connection not welcomed yet gets it with its welcome
        return true;
      } catch {
        return false; // network down (the token may be used up: then only a new login helps); the backoff goes on
      }
    })().finally(() => { if (state.refreshing === call) state.refreshing = null; });
    state.refreshing = call;
    return call;
  }

  /** Hands the current access token to the open connection (`auth`, answered by `authed`), so it is not closed
   *  with 4003 when the token it opened with expires. */
  function handOver() {
    state.wsToken = state.token;
    send({ type: 'auth', rid: 'auth', token: state.token });
  }

  /** While connected: refresh before the token expires; the answer goes to the connection (handOver). A failed
   *  refresh is tried again after RENEW_RETRY_MS, at most RENEW_TRIES times in all, so that a refresh whose answer was
   *  lost is retried within the retry grace; if all fail, the connection closes with 4003 at expiry and the token is
   *  refreshed before reconnecting. */
  function scheduleRenewal() {
    clearTimeout(state.renew);
    let tries = 0;
    const schedule = {}; // tries again only while no later schedule replaced this one
    state.renewal = schedule;
    const renew = async () => {
      const ok = await refresh();
      if (!ok && state.renewal === schedule && !state.stopped && state.refreshToken && ++tries < RENEW_TRIES) {
        state.renew = setTimeout(renew, RENEW_RETRY_MS);
      }
    };
    state.renew = setTimeout(renew, Math.max(0, state.refreshAt - Date.now()));
  }

  /** The refresh token was refused (expired or revoked): only a new login helps. */
  function endSession(text) {
    state.stopped = true;
    clearTimers();
    if (state.ws) drop(state.ws);
    setStatus('offline');
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = text;
  }

  function send(frame) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame));
  }

  function sync(convs) {
    if (Object.keys(convs).length) send({ type: 'sync', convs });
  }

  function handle(f) {
    switch (f.type) {
      case 'welcome': {
        state.welcomed = true;
        state.failed = 0;
        state.onlineAt = Date.now();
        state.heartbeat = f.heartbeatSeconds;
        setStatus('online');
        state.ping = setInterval(() => send({ type: 'ping' }), f.heartbeatSeconds * 1000);
        if (state.wsToken !== state.token) handOver(); // refreshed while this connection was opening
        scheduleRenewal();
        const wanted = {};
        for (const c of f.conversations) {
          state.names[c.conv] = c.name;
          if (c.peer) state.chats[c.conv] = { peer: c.peer, active: c.active };
          if (c.active) state.activePair = c.conv;
          state.online[c.conv] = c.online;
          // a conversation seen for the first time: start from its 50 newest messages
          if (!(c.conv in state.lastSeq)) state.lastSeq[c.conv] = Math.max(0, c.lastSeq - 50);
          if (c.lastSeq > state.lastSeq[c.conv]) wanted[c.conv] = state.lastSeq[c.conv];
        }
        sync(wanted);
        for (const frame of state.outbox.values()) send(frame); // same cmid: stored once
        send({ type: 'rooms' });
        send({ type: 'members', conv: 'r:lobby' });
        send({ type: 'pairPending' });
        loadUnread();
        render();
        break;
      }
      case 'message':
        if (!state.chats[f.conv] && !f.conv.startsWith('r:')) {
          const peer = f.from.id === state.me.id ? null : f.from;
          if (peer) { state.chats[f.conv] = { peer }; state.names[f.conv] = peer.nickname || peer.id; }
        }
        if (f.from.id !== state.me.id && f.conv !== state.current) state.unread[f.conv] = (state.unread[f.conv] || 0) + 1;
        addMessage(f);
        renderChats();
        break;
      case 'synced':
        f.messages.forEach(addMessage);
        if (f.more) sync({ [f.conv]: state.lastSeq[f.conv] });
        break;
      case 'authed': scheduleRenewal(); break; // the connection now lives on the new token
      case 'ack': {
        const sent = state.outbox.get(f.cmid);
        state.outbox.delete(f.cmid);
        clearTimeout(state.resends.get(f.cmid)?.timer);
        state.resends.delete(f.cmid);
        if (sent && sent.to) { // first message to someone: the server named the conversation
          const peer = state.people?.find((p) => p.id === sent.to) || { id: sent.to };
          state.chats[f.conv] = { peer };
          state.names[f.conv] = peer.nickname || peer.id;
          if (state.current === 'to:' + sent.to) { state.current = f.conv; render(); }
          renderChats();
        }
        break;
      }
      case 'members': if (f.conv === 'r:lobby') { state.people = f.members; renderPeople(); } break;
      case 'pairRequested': state.requests.set(f.from.id, f); renderRequests(); break;
      case 'pairRequests': state.requests = new Map(f.requests.map((r) => [r.from.id, r])); renderRequests(); break;
      case 'pairRequestSent': event(state.current, `pair request sent to ${f.to.nickname || f.to.id}`); break;
      case 'pairRequestClosed':
        state.requests.delete(f.from);
        renderRequests();
        event(state.current, `pair request ${f.reason}`);
        break;
      case 'pairStarted': { // may come twice for one session: only the first opens the chat
        const fresh = !state.startedPairs.has(f.conv);
        state.startedPairs.add(f.conv);
        state.requests.clear();
        state.activePair = f.conv;
        state.chats[f.conv] = { peer: f.peer, active: true };
        state.names[f.conv] = `1v1 · ${f.peer.nickname || f.peer.id}`;
        if (!(f.conv in state.lastSeq)) state.lastSeq[f.conv] = 0;
        if (fresh) state.current = f.conv;
        renderRequests();
        renderChats();
        render();
        break;
      }
      case 'pairEnded':
        if (state.chats[f.conv]) state.chats[f.conv].active = false;
        if (state.activePair === f.conv) state.activePair = null;
        event(f.conv, f.reason === 'left' ? 'you left the pair session' : f.reason === 'peer_left'
          ? 'your partner left' : 'your partner went offline');
        renderHeader();
        renderChats();
        break;
      case 'typing':
        if (f.conv === state.current) { $('typing').textContent = `${f.user.nickname || f.user.id} is typing…`; state.typingShown = Date.now(); setTimeout(clearTyping, 3000); }
        break;
      case 'recalled': markRecalled(f.conv, f.seq); break;
      case 'read': state.unread[f.conv] = f.unread; renderChats(); break;
      case 'rooms':
        f.rooms.forEach((r) => { state.online[r.conv] = r.online; });
        renderRooms(f.rooms);
        break;
      case 'joined': // with rid: this tab joined or created it (opened); without: another device of yours did
        state.names[f.conv] = f.name;
        state.online[f.conv] = f.online;
        if (!(f.conv in state.lastSeq)) state.lastSeq[f.conv] = Math.max(0, f.lastSeq - 50);
        if (f.rid) state.current = f.conv;
        sync({ [f.conv]: state.lastSeq[f.conv] });
        send({ type: 'rooms' });
        render();
        break;
      case 'left': // with rid: this tab left it; without: another device of yours did
        delete state.lastSeq[f.conv];
        delete state.messages[f.conv];
        if (f.rid || state.current === f.conv) state.current = 'r:lobby';
        if (!f.rid) event(state.current, `you left ${state.names[f.conv] || f.conv} on another device`);
        send({ type: 'rooms' });
        render();
        break;
      case 'online': // a crowded room: only the count, no per-user event
        state.online[f.conv] = f.online;
        renderHeader();
        renderRooms(state.rooms);
        break;
      case 'memberJoined': case 'memberLeft': case 'presence': {
        state.online[f.conv] = f.online;
        const what = f.type === 'memberJoined' ? 'joined' : f.type === 'memberLeft' ? 'left' : `is ${f.status}`;
        event(f.conv, `${f.user.nickname || f.user.id} ${what}`);
        renderHeader();
        renderRooms(state.rooms);
        break;
      }
      case 'error':
        event(state.current, `error: ${f.code} (${f.message})`);
        if (f.cmid && f.retry) resendLater(f.cmid, f.retryAfter || 0);
        else if (f.cmid) state.outbox.delete(f.cmid);
        break;
      default: break;
    }
  }

  /** A send refused for now (rate_limited, unavailable, internal): the same frame again (same cmid: stored once)
   *  after retryAfter or a growing backoff, whichever is longer. */
  function resendLater(cmid, retryAfter) {
    const r = state.resends.get(cmid) || { tries: 0 };
    clearTimeout(r.timer);
    const wait = Math.min(10000, 500 * 2 ** r.tries++);
    r.timer = setTimeout(() => { if (state.outbox.has(cmid)) send(state.outbox.get(cmid)); },
      Math.max(retryAfter, wait / 2 + Math.random() * wait / 2));
    state.resends.set(cmid, r);
  }

  function addMessage(m) {
    const held = state.messages[m.conv] || (state.messages[m.conv] = new Map());
    if (held.has(m.seq)) return; // duplicate (push + sync, or a resend)
    held.set(m.seq, m);
    // A recall notice (kind recall, body = the recalled seq) is how a client that was offline learns of a recall.
    if (m.kind === 'recall') markRecalled(m.conv, Number(m.body));
    else if (state.recalled[m.conv]?.has(m.seq)) hide(m);
    let last = state.lastSeq[m.conv] || 0;
    if (m.seq > last + 1) { sync({ [m.conv]: last }); } // gap: fetch what is missing
    while (held.has(last + 1)) last++;
    state.lastSeq[m.conv] = last;
    if (m.conv === state.current) render();
  }

  function markRecalled(conv, seq) {
    (state.recalled[conv] || (state.recalled[conv] = new Set())).add(seq);
    const m = state.messages[conv]?.get(seq);
    if (m && !m.recalled) { hide(m); if (conv === state.current) render(); }
  }

  /** A recalled message keeps its place, without body or media. */
  function hide(m) {
    m.recalled = true;
    delete m.body;
    delete m.media;
  }

  function event(conv, text) {
    if (conv !== state.current) return;
    const li = document.createElement('li');
    li.className = 'event';
    li.textContent = text;
    $('messages').append(li);
    li.scrollIntoView();
  }

  function setStatus(text) {
    $('status').textContent = text;
    $('status').className = 'status' + (text === 'online' ? ' online' : '');
  }

  function renderHeader() {
    $('conv-title').textContent = state.names[state.current] || state.current;
    const n = state.online[state.current];
    $('online').textContent = n === undefined ? '' : `${n} online`;
    const pair = state.current.startsWith('p:');
    $('leave').hidden = state.current === 'r:lobby' || state.current.startsWith('d:') || state.current.startsWith('to:')
      || (pair && state.activePair !== state.current);
    $('leave').textContent = pair ? 'Leave 1v1' : 'Leave';
  }

  function render() {
    renderHeader();
    const list = $('messages');
    list.replaceChildren();
    const held = [...(state.messages[state.current] || new Map()).values()].sort((a, b) => a.seq - b.seq);
    for (const m of held) {
      if (m.kind === 'recall') continue; // a recall notice: its target already shows as recalled
      const li = document.createElement('li');
      if (m.from.id === state.me.id) li.className = 'mine';
      const from = document.createElement('div');
      from.className = 'from';
      from.textContent = `${m.from.nickname || m.from.id} · #${m.seq}`;
      const body = document.createElement('div');
      if (m.recalled) {
        body.textContent = '(message recalled)';
        body.className = 'hint';
      } else if (m.media && m.kind === 'image') {
        const link = document.createElement('a');
        link.href = m.media.url;
        link.target = '_blank';
        const img = document.createElement('img');
        img.src = m.media.thumbUrl;
        img.alt = `picture ${m.media.width}×${m.media.height}`;
        img.className = 'thumb';
        link.append(img);
        body.append(link);
      } else if (m.media && m.kind === 'audio') {
        const audio = document.createElement('audio');
        audio.controls = true;
        audio.preload = 'none';
        audio.src = m.media.url;
        body.append(audio, ` ${Math.round((m.media.duration || 0) / 1000)} s`);
      } else {
        body.textContent = m.body;
      }
      li.append(from, body);
      if (m.from.id === state.me.id && !m.recalled && Date.now() - m.ts < 120000) {
        const recall = document.createElement('button');
        recall.className = 'link';
        recall.textContent = 'recall';
        recall.onclick = () => send({ type: 'recall', conv: m.conv, seq: m.seq });
        from.append(' ', recall);
      }
      list.append(li);
    }
    list.lastElementChild?.scrollIntoView();
    markRead();
    renderChats();
  }

  /** The newest seq held for the open conversation is read: tell the server (all devices follow). */
  function markRead() {
    const conv = state.current;
    const seq = state.lastSeq[conv];
    state.unread[conv] = 0;
    if (conv.startsWith('to:') || !seq || (state.readSeq[conv] || 0) >= seq) return;
    state.readSeq[conv] = seq;
    send({ type: 'read', conv, seq });
  }

  async function loadUnread() {
    const session = state.session;
    const res = await fetch('/api/chat/conversations', { headers: { Authorization: `Bearer ${state.token}` } });
    if (!res.ok || state.session !== session) return; // not ours any more: another login took over
    const { conversations } = await res.json();
    if (state.session !== session) return;
    for (const c of conversations) {
      state.unread[c.conv] = c.conv === state.current ? 0 : c.unread;
      if (c.peer) state.chats[c.conv] = { peer: c.peer, active: c.active };
    }
    renderChats();
    renderRooms(state.rooms);
  }

  function clearTyping() {
    if (Date.now() - (state.typingShown || 0) >= 2900) $('typing').textContent = '';
  }

  function open(conv) {
    state.current = conv;
    $('typing').textContent = '';
    render();
    renderRooms(state.rooms);
  }

  function badge(conv) {
    const n = state.unread[conv];
    if (!n) return null;
    const b = document.createElement('span');
    b.className = 'badge';
    b.textContent = n;
    return b;
  }

  function renderChats() {
    const ul = $('chats');
    ul.replaceChildren();
    for (const [conv, chat] of Object.entries(state.chats)) {
      const li = document.createElement('li');
      li.className = conv === state.current ? 'active' : '';
      const name = document.createElement('span');
      const who = chat.peer.nickname || chat.peer.id;
      name.textContent = conv.startsWith('p:') ? `1v1 · ${who}${chat.active ? '' : ' (ended)'}` : who;
      li.append(name);
      const b = badge(conv);
      if (b) li.append(b);
      li.onclick = () => open(conv);
      ul.append(li);
    }
  }

  function renderPeople() {
    const ul = $('people');
    ul.replaceChildren();
    for (const p of state.people || []) {
      if (p.id === state.me.id) continue;
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = p.nickname || p.id;
      const dm = document.createElement('button');
      dm.textContent = 'Message';
      dm.onclick = () => {
        const existing = Object.entries(state.chats).find(([c, ch]) => c.startsWith('d:') && ch.peer.id === p.id);
        if (existing) { open(existing[0]); return; }
        state.names['to:' + p.id] = p.nickname || p.id;
        open('to:' + p.id);
      };
      const pair = document.createElement('button');
      pair.textContent = '1v1';
      pair.title = 'Ask for a 1v1 session';
      pair.onclick = () => send({ type: 'pairRequest', to: p.id });
      li.append(name, dm, pair);
      ul.append(li);
    }
  }

  function renderRequests() {
    const ul = $('requests');
    ul.replaceChildren();
    $('requests-title').hidden = state.requests.size === 0;
    for (const r of state.requests.values()) {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = `${r.from.nickname || r.from.id} wants a 1v1`;
      const yes = document.createElement('button');
      yes.textContent = 'Accept';
      yes.onclick = () => send({ type: 'pairAccept', from: r.from.id });
      const no = document.createElement('button');
      no.textContent = 'Decline';
      no.className = 'secondary';
      no.onclick = () => send({ type: 'pairDecline', from: r.from.id });
      li.append(name, yes, no);
      ul.append(li);
    }
  }

  function renderRooms(rooms) {
    const ul = $('rooms');
    ul.replaceChildren();
    state.rooms = rooms;
    for (const r of rooms) {
      state.names[r.conv] = r.name;
      const li = document.createElement('li');
      li.className = (r.conv === state.current ? 'active ' : '') + (r.member ? 'member' : '');
      const name = document.createElement('span');
      name.textContent = r.name;
      const count = document.createElement('span');
      count.className = 'hint';
      count.textContent = state.online[r.conv] ?? r.online;
      li.append(name);
      const b = r.member ? badge(r.conv) : null;
      if (b) li.append(b);
      li.append(count);
      li.onclick = () => {
        if (r.member) open(r.conv);
        else send({ type: 'join', rid: 'join', conv: r.conv });
      };
      ul.append(li);
    }
  }

  $('send-form').onsubmit = (e) => {
    e.preventDefault();
    const body = $('body').value;
    if (!body.trim()) return;
    const cmid = `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const frame = state.current.startsWith('to:')
      ? { type: 'send', cmid, to: state.current.slice(3), body }
      : { type: 'send', cmid, conv: state.current, body };
    state.outbox.set(cmid, frame);
    send(frame);
    $('body').value = '';
  };
  /** Pictures and voice clips: upload (POST /api/media, as wx.uploadFile does), then send the returned id. */
  $('file').onchange = async () => {
    const file = $('file').files[0];
    $('file').value = '';
    if (!file || !state.current) return;
    // where and for whom it was picked: the user may open another chat, or another user log in, meanwhile
    const session = state.session;
    const target = state.current.startsWith('to:') ? { to: state.current.slice(3) } : { conv: state.current };
    const form = new FormData();
    form.append('file', file);
    setStatus('uploading…');
    try {
      const res = await fetch('/api/media', { method: 'POST', headers: { Authorization: `Bearer ${state.token}` }, body: form });
      const media = await res.json();
      if (!res.ok) throw new Error(media.detail || res.status);
      const cmid = `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      const frame = { type: 'send', cmid, ...target, kind: media.kind, media: media.id };
      if (media.kind === 'audio') frame.duration = await durationOf(file);
      if (state.session !== session) return; // another login took over: not theirs to send
      state.outbox.set(cmid, frame);
      send(frame);
      setStatus('online');
    } catch (err) {
      setStatus(`upload refused: ${err.message}`);
    }
  };

  /** The clip's length in ms, as a recorder would report it (1 s if the browser cannot tell). */
  function durationOf(file) {
    return new Promise((resolve) => {
      const audio = new Audio();
      audio.preload = 'metadata';
      audio.onloadedmetadata = () => {
        URL.revokeObjectURL(audio.src);
        const ms = Math.round(audio.duration * 1000);
        resolve(Number.isFinite(ms) && ms > 0 ? Math.min(ms, 600000) : 1000);
      };
      audio.onerror = () => resolve(1000);
      audio.src = URL.createObjectURL(file);
    });
  }

  $('create-form').onsubmit = (e) => {
    e.preventDefault();
    send({ type: 'create', rid: `create-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`, name: $('room-name').value }); // a new rid: a create is idempotent per rid
    $('room-name').value = '';
  };
  $('refresh').onclick = () => send({ type: 'rooms' });
  $('leave').onclick = () => send(state.current.startsWith('p:')
    ? { type: 'pairLeave', conv: state.current } : { type: 'leave', rid: 'leave', conv: state.current });
  $('body').oninput = () => { // typing, in direct and 1v1 conversations, at most every 2 s
    const c = state.current;
    if ((c.startsWith('d:') || c.startsWith('p:')) && Date.now() - state.typingAt > 2100) {
      state.typingAt = Date.now();
      send({ type: 'typing', conv: c });
    }
  };
  setInterval(() => { if (state.me) send({ type: 'members', conv: 'r:lobby' }); }, 15000);
})();
