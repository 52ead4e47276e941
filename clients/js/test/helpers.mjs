// Shared test helpers: a fake clock (injected as the client's timers), a scripted transport, waiting with a bound.
import WebSocket from 'ws';
import { createClient, webSocketTransport, memoryStorage } from '../wxim.mjs';

export const TIMEOUT_MS = 5000;

/** Timers the test advances by hand: setTimeout/setInterval/clear*, now(), advance(ms). */
export function fakeClock(start = 1_000_000) {
  let now = start;
  let seq = 0;
  const timers = new Map();
  const clock = {
    now: () => now,
    setTimeout: (fn, ms) => { const id = ++seq; timers.set(id, { fn, at: now + Math.max(0, ms || 0) }); return id; },
    setInterval: (fn, ms) => { const id = ++seq; timers.set(id, { fn, at: now + ms, every: ms }); return id; },
    clearTimeout: (id) => { timers.delete(id); },
    clearInterval: (id) => { timers.delete(id); },
    /** Delays of the timers pending now. */
    pending: () => [...timers.values()].map((t) => t.at - now),
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let nextId = null;
        let next = null;
        for (const [id, t] of timers) if (t.at <= end && (!next || t.at < next.at)) { nextId = id; next = t; }
        if (!next) break;
        now = next.at;
        if (next.every) next.at += next.every; else timers.delete(nextId);
        next.fn();
      }
      now = end;
    },
  };
  return clock;
}

/** A transport whose sockets the test drives: sockets[i].{url, token, sent, closed, h (handlers)}. */
export function scriptedTransport() {
  const sockets = [];
  const transport = (url, token, h) => {
    const socket = { url, token, h, sent: [], closed: null };
    sockets.push(socket);
    return { send: (text) => socket.sent.push(JSON.parse(text)), close: (code, reason) => { socket.closed = { code, reason }; } };
  };
  transport.sockets = sockets;
  return transport;
}

export async function waitFor(check, what = 'condition', ms = TIMEOUT_MS) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A client of the fake server over `ws`, with fast backoff. */
export function newClient(server, extra = {}) {
  return createClient({
    baseUrl: server.url, transport: webSocketTransport(WebSocket), storage: memoryStorage(),
    backoffBaseMs: 20, backoffCapMs: 100, requestTimeoutMs: 3000, ...extra,
  });
}

export async function online(client) {
  if (client.state !== 'online') await client.once('state', (s) => s.state === 'online');
}
