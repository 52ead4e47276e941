// wxim local demo: plain browser JavaScript, no build step. Shows the protocol (docs/protocol.md) in action:
// welcome -> sync from the last seq, dedupe by seq, outbox resent with the same cmid after reconnect,
// reconnect with exponential backoff and full jitter, app-level ping.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const state = {
    token: null, refreshToken: null, me: null, ws: null, backoff: 0, ping: null,
    current: 'r:lobby', names: { 'r:lobby': 'Lobby' }, online: {}, rooms: [],
    lastSeq: {},    // conv -> highest contiguous seq held
    messages: {},   // conv -> Map(seq -> message)
    outbox: new Map(), // cmid -> send frame, until acked
  };

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
  }

  function connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/ws?access_token=${encodeURIComponent(state.token)}`);
    state.ws = ws;
    setStatus('connecting');
    ws.onmessage = (e) => handle(JSON.parse(e.data));
    ws.onclose = (e) => onClose(e.code);
  }

  async function onClose(code) {
    clearInterval(state.ping);
    setStatus('offline');
    if (code >= 4500 && code < 5000) { event(state.current, `disconnected (${code}); please reload and log in again`); return; }
    if (code === 4003) await refresh();
    const delay = Math.random() * Math.min(10000, 500 * 2 ** state.backoff++); // full jitter
    setTimeout(connect, delay);
  }

  async function refresh() {
    const res = await fetch('/api/auth/refresh', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refreshToken: state.refreshToken }),
    });
    if (res.ok) useTokens(await res.json());
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
        state.backoff = 0;
        setStatus('online');
        state.ping = setInterval(() => send({ type: 'ping' }), f.heartbeatSeconds * 1000);
        const wanted = {};
        for (const c of f.conversations) {
          state.names[c.conv] = c.name;
          state.online[c.conv] = c.online;
          // a conversation seen for the first time: start from its 50 newest messages
          if (!(c.conv in state.lastSeq)) state.lastSeq[c.conv] = Math.max(0, c.lastSeq - 50);
          if (c.lastSeq > state.lastSeq[c.conv]) wanted[c.conv] = state.lastSeq[c.conv];
        }
        sync(wanted);
        for (const frame of state.outbox.values()) send(frame); // same cmid: stored once
        send({ type: 'rooms' });
        render();
        break;
      }
      case 'message': addMessage(f); break;
      case 'synced':
        f.messages.forEach(addMessage);
        if (f.more) sync({ [f.conv]: state.lastSeq[f.conv] });
        break;
      case 'ack': state.outbox.delete(f.cmid); break;
      case 'rooms':
        f.rooms.forEach((r) => { state.online[r.conv] = r.online; });
        renderRooms(f.rooms);
        break;
      case 'joined':
        state.names[f.conv] = f.name;
        state.online[f.conv] = f.online;
        if (!(f.conv in state.lastSeq)) state.lastSeq[f.conv] = Math.max(0, f.lastSeq - 50);
        state.current = f.conv;
        sync({ [f.conv]: state.lastSeq[f.conv] });
        send({ type: 'rooms' });
        render();
        break;
      case 'left':
        delete state.lastSeq[f.conv];
        delete state.messages[f.conv];
        state.current = 'r:lobby';
        send({ type: 'rooms' });
        render();
        break;
      case 'memberJoined': case 'memberLeft': case 'presence': {
        state.online[f.conv] = f.online;
        const what = f.type === 'memberJoined' ? 'joined' : f.type === 'memberLeft' ? 'left' : `is ${f.status}`;
        event(f.conv, `${f.user.nickname || f.user.id} ${what}`);
        renderHeader();
        renderRooms(state.rooms);
        break;
      }
      case 'error': event(state.current, `error: ${f.code} (${f.message})`); if (!f.retry && f.cmid) state.outbox.delete(f.cmid); break;
      default: break;
    }
  }

  function addMessage(m) {
    const held = state.messages[m.conv] || (state.messages[m.conv] = new Map());
    if (held.has(m.seq)) return; // duplicate (push + sync, or a resend)
    held.set(m.seq, m);
    let last = state.lastSeq[m.conv] || 0;
    if (m.seq > last + 1) { sync({ [m.conv]: last }); } // gap: fetch what is missing
    while (held.has(last + 1)) last++;
    state.lastSeq[m.conv] = last;
    if (m.conv === state.current) render();
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
    $('leave').hidden = state.current === 'r:lobby';
  }

  function render() {
    renderHeader();
    const list = $('messages');
    list.replaceChildren();
    const held = [...(state.messages[state.current] || new Map()).values()].sort((a, b) => a.seq - b.seq);
    for (const m of held) {
      const li = document.createElement('li');
      if (m.from.id === state.me.id) li.className = 'mine';
      const from = document.createElement('div');
      from.className = 'from';
      from.textContent = `${m.from.nickname || m.from.id} · #${m.seq}`;
      const body = document.createElement('div');
      body.textContent = m.body;
      li.append(from, body);
      list.append(li);
    }
    list.lastElementChild?.scrollIntoView();
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
      li.append(name, count);
      li.onclick = () => {
        if (r.member) { state.current = r.conv; render(); renderRooms(rooms); }
        else send({ type: 'join', conv: r.conv });
      };
      ul.append(li);
    }
  }

  $('send-form').onsubmit = (e) => {
    e.preventDefault();
    const body = $('body').value;
    if (!body.trim()) return;
    const cmid = `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const frame = { type: 'send', cmid, conv: state.current, body };
    state.outbox.set(cmid, frame);
    send(frame);
    $('body').value = '';
  };
  $('create-form').onsubmit = (e) => {
    e.preventDefault();
    send({ type: 'create', name: $('room-name').value });
    $('room-name').value = '';
  };
  $('refresh').onclick = () => send({ type: 'rooms' });
  $('leave').onclick = () => send({ type: 'leave', conv: state.current });
})();
