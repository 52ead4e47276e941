// @wxim/client: the JavaScript client of wxim (docs/protocol.md is the contract).
// Hand-written ES module, no dependencies; wxim.cjs is generated from it by scripts/build-cjs.mjs (do not edit that).
// Runs in WeChat mini-programs (wxTransport, wxHttp, wxStorage, node-forge for encryption), browsers and Node 18+.

/** @typedef {{id: string, nickname?: string, avatarUrl?: string}} User */
/** @typedef {{accessToken: string, refreshToken: string, expiresIn?: number, user?: User}} TokenPair */
/**
 * A transport opens one socket. It calls the handlers and returns {send(text), close(code, reason)}.
 * @typedef {(url: string, token: string, handlers: {onOpen(): void, onMessage(text: string): void,
 *   onClose(code: number, reason?: string): void, onError(err: any): void}) => {send(text: string): void,
 *   close(code?: number, reason?: string): void}} Transport
 */
/**
 * An HTTP function: resolves with {status, data} (data: parsed JSON when possible); rejects on network failure only.
 * `upload` posts one multipart file part named "file".
 * @typedef {{request(req: {method: string, url: string, headers: Object<string, string>, body?: string, timeoutMs?: number}):
 *   Promise<{status: number, data: any, headers?: Object<string, string>}>,
 *   upload?(req: {url: string, headers: Object<string, string>, file: any, filename?: string, contentType?: string, timeoutMs?: number}):
 *   Promise<{status: number, data: any}>}} Http
 * `timeoutMs`: abort the call after that long (the client's own timeout has answered by then; ending the call frees
 * what waits for it, a refresh's single flight most of all). An adapter that cannot abort may ignore it.
 */
/** @typedef {{get(key: string): string | null, set(key: string, value: string): void, remove(key: string): void}} Storage */

const STOP_CODES = [1002, 1007];
const G = typeof globalThis !== 'undefined' ? globalThis : {};
const DEFAULT_TIMERS = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (t) => clearInterval(t),
};
const MAX_SYNC_CONVS = 100;
const KEYS_CACHE_MS = 60000;
const GAP_TRIES = 3; // answered syncs that leave a gap before the client gives up on it
// A refresh call that ended without a pair (no answer, 5xx) may have rotated the token on the server: its retry must
// come within auth-service's retry grace (30 s), whoever asked (a reconnect's backoff can be longer than that)
const REFRESH_RETRY_MS = 5000;
// the adapters abort a call this long after the client's own timeout answered (its `timeout` error comes first)
const ADAPTER_GRACE_MS = 1000;
const REFRESH_RETRY_WINDOW_MS = 20000;

/** UTF-8 bytes of a string (TextEncoder is missing on old mini-program base libraries). */
function utf8Length(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * An error answered by the server (`error` frame) or raised by the client (codes `timeout`, `disconnected`, ...;
 * `stopped`: not sent and not kept; `kept`: a send left in its user's stored outbox, sent when that user connects
 * again; `superseded`: a refresh answered after setSession replaced its session).
 */
export class WximError extends Error {
  constructor(code, message, retry, frame) {
    super(message || code);
    this.name = 'WximError';
    this.code = code;
    this.retry = !!retry;
    this.frame = frame;
  }
}

/** A failed REST call: HTTP status plus the problem+json fields (`code`, `retryable` for WeChat login). */
export class WximHttpError extends Error {
  constructor(status, data, retryAfter) {
    const problem = data && typeof data === 'object' ? data : {};
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'WximHttpError';
    this.status = status;
    this.code = problem.code;
    this.retryable = !!problem.retryable;
    this.retryAfter = retryAfter;
    this.problem = problem;
  }
}

/** Exponential backoff with full jitter: random() * min(cap, base * 2^attempt), attempt counting from 0. */
export function backoffDelay(attempt, random, baseMs = 500, capMs = 30000) {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30)));
}

// ---------------------------------------------------------------------------------------------------------------
// Adapters: transports, HTTP, storage, wake helpers

/** WeChat mini-program socket (wx.connectSocket); the token goes in the Authorization header. */
export function wxTransport(wx) {
  return (url, token, h) => {
    const task = wx.connectSocket({
      url,
      header: { Authorization: `Bearer ${token}` },
      fail: (e) => h.onError(e),
    });
    task.onOpen(() => h.onOpen());
    task.onMessage((m) => h.onMessage(typeof m.data === 'string' ? m.data : ''));
    task.onClose((e) => h.onClose(e && e.code, e && e.reason));
    task.onError((e) => h.onError(e));
    return {
      send: (text) => task.send({ data: text }),
      close: (code, reason) => task.close({ code, reason }),
    };
  };
}

/** Browser WebSocket or Node `ws`: the token goes in `?access_token=` (browsers cannot set headers). */
export function webSocketTransport(WebSocketCtor) {
  return (url, token, h) => {
    const ws = new WebSocketCtor(`${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`);
    ws.onopen = () => h.onOpen();
    ws.onmessage = (e) => h.onMessage(typeof e.data === 'string' ? e.data : '');
    ws.onclose = (e) => h.onClose(e.code, e.reason);
    ws.onerror = (e) => h.onError(e);
    return {
      send: (text) => ws.send(text),
      close: (code, reason) => ws.close(code, reason),
    };
  };
}

async function readBody(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch (e) {
    return text;
  }
}

/** HTTP over fetch (browsers, Node 18+). Upload: `file` is a Blob/File, or bytes (Uint8Array/Buffer). */
export function fetchHttp(fetchFn = G.fetch) {
  const go = async (url, init, timeoutMs) => {
    const abort = timeoutMs && typeof AbortController !== 'undefined' ? new AbortController() : null;
    const timer = abort ? setTimeout(() => abort.abort(), timeoutMs) : null;
    try {
      const res = await fetchFn(url, abort ? { ...init, signal: abort.signal } : init);
      return { status: res.status, data: await readBody(await res.text()), headers: { 'retry-after': res.headers.get('retry-after') } };
    } finally {
      if (timer) clearTimeout(timer);
    }
  };
  return {
    request: ({ method, url, headers, body, timeoutMs }) => go(url, { method, headers, body }, timeoutMs),
    upload: ({ url, headers, file, filename, contentType, timeoutMs }) => {
      const form = new FormData();
      const blob = typeof Blob !== 'undefined' && file instanceof Blob
        ? file : new Blob([file], { type: contentType || 'application/octet-stream' });
      form.append('file', blob, filename || 'file');
      return go(url, { method: 'POST', headers, body: form }, timeoutMs);
    },
  };
}

/** HTTP over wx.request / wx.uploadFile (mini-programs). Upload: `file` is a temp file path. */
export function wxHttp(wx) {
  const call = (fn, opts) => new Promise((resolve, reject) => fn({
    ...opts,
    success: (r) => resolve(r),
    fail: (e) => reject(new Error((e && e.errMsg) || 'request failed')),
  }));
  return {
    request: async ({ method, url, headers, body, timeoutMs }) => {
      const r = await call(wx.request, { url, method, header: headers, data: body, dataType: 'json', ...(timeoutMs ? { timeout: timeoutMs } : {}) });
      const data = typeof r.data === 'string' ? await readBody(r.data) : r.data;
      // wx.request passes header names as the server spelled them (and iOS and Android differ): lower-case them,
      // as fetchHttp does, so `retry-after` is found.
      const lower = {};
      for (const [k, v] of Object.entries(r.header || {})) lower[k.toLowerCase()] = v;
      return { status: r.statusCode, data, headers: lower };
    },
    upload: async ({ url, headers, file, timeoutMs }) => {
      const r = await call(wx.uploadFile, { url, filePath: file, name: 'file', header: headers, ...(timeoutMs ? { timeout: timeoutMs } : {}) });
      return { status: r.statusCode, data: await readBody(r.data) };
    },
  };
}

/** Storage in memory (lost on restart: fine for tests and Node scripts). */
export function memoryStorage() {
  const map = new Map();
  return { get: (k) => (map.has(k) ? map.get(k) : null), set: (k, v) => { map.set(k, v); }, remove: (k) => { map.delete(k); } };
}

/** Storage over wx.getStorageSync / wx.setStorageSync. */
export function wxStorage(wx) {
  return {
    get: (k) => { const v = wx.getStorageSync(k); return v === '' || v === undefined ? null : v; },
    set: (k, v) => wx.setStorageSync(k, v),
    remove: (k) => wx.removeStorageSync(k),
  };
}

/** Storage over localStorage (or any Web Storage). */
export function webStorage(ls = G.localStorage) {
  return { get: (k) => ls.getItem(k), set: (k, v) => ls.setItem(k, v), remove: (k) => ls.removeItem(k) };
}

/** Wakes the client when the mini-program comes to the foreground or the network returns; returns an unwire function. */
export function wakeOnWx(client, wx) {
  const show = () => client.wake();
  const net = (r) => { if (!r || r.isConnected) client.wake(); };
  if (wx.onAppShow) wx.onAppShow(show);
  if (wx.onNetworkStatusChange) wx.onNetworkStatusChange(net);
  return () => {
    if (wx.offAppShow) wx.offAppShow(show);
    if (wx.offNetworkStatusChange) wx.offNetworkStatusChange(net);
  };
}

/** Wakes the client on the browser's `online` event and when the page becomes visible; returns an unwire function. */
export function wakeOnBrowser(client, win = G, doc = G.document) {
  const online = () => client.wake();
  const visible = () => { if (!doc || doc.visibilityState === 'visible') client.wake(); };
  win.addEventListener('online', online);
  if (doc) doc.addEventListener('visibilitychange', visible);
  return () => {
    win.removeEventListener('online', online);
    if (doc) doc.removeEventListener('visibilitychange', visible);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Encrypted frames (protocol section 10; same algorithms as clients/crypto-interop/interop.js)

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_COUNTER = 2 ** 31;

function toBase64(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63]
      + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < bytes.length ? B64[n & 63] : '=');
  }
  return out;
}

function fromBase64(text, strict) {
  if (strict && (typeof text !== 'string' || !B64_CANONICAL.test(text))) throw new SecureFrameError();
  const clean = text.replace(/=+$/, '');
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let j = 0;
  for (const ch of clean) {
    value = (value << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[j++] = (value >> bits) & 255;
    }
  }
  if (strict && toBase64(bytes) !== text) throw new SecureFrameError(); // canonical only
  return bytes;
}

const fromBase64Url = (s) => fromBase64(s.replace(/-/g, '+').replace(/_/g, '/'), false);
const toBinary = (bytes) => { let s = ''; for (const b of bytes) s += String.fromCharCode(b); return s; };
const fromBinary = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));

class SecureFrameError extends Error {
  constructor() {
    super('invalid secure frame');
    this.name = 'SecureFrameError';
  }
}

function parseSealed(text, lastCounter) {
  let f;
  try {
    f = JSON.parse(text);
  } catch (e) {
    throw new SecureFrameError();
  }
  const keys = f && typeof f === 'object' && !Array.isArray(f) ? Object.keys(f) : [];
  if (keys.length !== 4 || !['type', 'c', 'n', 'd'].every((k) => keys.includes(k)) || f.type !== 'sec') throw new SecureFrameError();
  if (!Number.isSafeInteger(f.c) || f.c < 1 || f.c > MAX_COUNTER || f.c <= lastCounter) throw new SecureFrameError();
  const nonce = fromBase64(f.n, true);
  const data = fromBase64(f.d, true);
  if (nonce.length !== 12 || data.length < 16) throw new SecureFrameError();
  return { counter: f.c, nonce, data };
}

const sealed = (c, nonce, data) => `{"type":"sec","c":${c},"n":"${toBase64(nonce)}","d":"${toBase64(data)}"}`;
/** The longest `sec` envelope around an empty `d` (largest counter), for the size of a frame once sealed. */
const SEALED_ENVELOPE = sealed(MAX_COUNTER, new Uint8Array(12), new Uint8Array(0)).length;
/** Bytes on the wire of a sealed frame whose plaintext has `n` UTF-8 bytes: base64 of ciphertext + 16-byte tag. */
const sealedLength = (n) => SEALED_ENVELOPE + 4 * Math.ceil((n + 16) / 3);

function rsaBits(jwk) {
  const n = fromBase64Url(jwk.n);
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  return (n.length - i) * 8;
}

/**
 * A client channel for one connection: a fresh 32-byte key wrapped for `jwk`, seal (c2s) and open (s2c) with
 * strictly increasing counters. `impl` is {subtle} (WebCrypto) or {forge} (node-forge, pure-JS mode).
 */
async function createChannel(impl, jwk, random) {
  if (!jwk || jwk.kty !== 'RSA' || rsaBits(jwk) < 2048) throw new Error('server key must be RSA with at least 2048 bits');
  const key = await random(32);
  let sent = 0;
  let received = 0;
  const next = () => {
    if (sent >= MAX_COUNTER) throw new SecureFrameError();
    return ++sent;
  };
  if (impl.subtle) {
    const { subtle } = impl;
    const ascii = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    const pub = await subtle.importKey('jwk', { kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RSA-OAEP-256', ext: true },
      { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
    const wrapped = new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP' }, pub, key));
    const aes = await subtle.importKey('raw', key, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    return {
      wrapped: toBase64(wrapped),
      async seal(text) {
        const c = next();
        const nonce = await random(12);
        const data = await subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: ascii(`c2s|${c}`), tagLength: 128 },
          aes, new TextEncoder().encode(text));
        return sealed(c, nonce, new Uint8Array(data));
      },
      async open(text) {
        const { counter, nonce, data } = parseSealed(text, received);
        let plain;
        try {
          plain = await subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: ascii(`s2c|${counter}`), tagLength: 128 }, aes, data);
          plain = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(plain);
        } catch (e) {
          throw new SecureFrameError();
        }
        received = counter;
        return plain;
      },
    };
  }
  const { forge } = impl;
  forge.options.usePureJavaScript = true;
  const big = (bytes) => new forge.jsbn.BigInteger(forge.util.bytesToHex(toBinary(bytes)), 16);
  const pub = forge.pki.setRsaPublicKey(big(fromBase64Url(jwk.n)), big(fromBase64Url(jwk.e)));
  const wrapped = pub.encrypt(toBinary(key), 'RSA-OAEP', {
    md: forge.md.sha256.create(), mgf1: { md: forge.md.sha256.create() }, seed: toBinary(await random(32)),
  });
  const keyBin = toBinary(key);
  return {
    wrapped: forge.util.encode64(wrapped),
    async seal(text) {
      const c = next();
      const nonce = await random(12);
      const cipher = forge.cipher.createCipher('AES-GCM', keyBin);
      cipher.start({ iv: toBinary(nonce), additionalData: `c2s|${c}`, tagLength: 128 });
      cipher.update(forge.util.createBuffer(forge.util.encodeUtf8(text)));
      cipher.finish();
      return sealed(c, nonce, fromBinary(cipher.output.getBytes() + cipher.mode.tag.getBytes()));
    },
    async open(text) {
      const { counter, nonce, data } = parseSealed(text, received);
      const bin = toBinary(data);
      const decipher = forge.cipher.createDecipher('AES-GCM', keyBin);
      decipher.start({ iv: toBinary(nonce), additionalData: `s2c|${counter}`, tagLength: 128,
        tag: forge.util.createBuffer(bin.slice(bin.length - 16)) });
      decipher.update(forge.util.createBuffer(bin.slice(0, bin.length - 16)));
      if (!decipher.finish()) throw new SecureFrameError();
      let plain;
      try {
        plain = forge.util.decodeUtf8(decipher.output.getBytes());
      } catch (e) {
        throw new SecureFrameError();
      }
      received = counter;
      return plain;
    },
  };
}

/** Random bytes from wx.getRandomValues (asynchronous in mini-programs), for the `randomBytes` option. */
export function wxRandom(wx) {
  return (n) => new Promise((resolve, reject) => wx.getRandomValues({
    length: n, success: (r) => resolve(new Uint8Array(r.randomValues)), fail: (e) => reject(new Error(e && e.errMsg)),
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// The client

/** How many recalls the client remembers to emit `recalled` once for both the live event and the stored notice. */
const MAX_RECALLS_REMEMBERED = 1000;

const EVENT_TYPES = ['joined', 'left', 'memberJoined', 'memberLeft', 'presence', 'online', 'read', 'typing', 'recalled',
  'pairRequested', 'pairRequestSent', 'pairRequestClosed', 'pairStarted', 'pairEnded'];

/**
 * Creates a client. Options: baseUrl (http(s) origin of the gateway), transport, http, storage, secure, forge,
 * crypto, random, timers, requestTimeoutMs, httpTimeoutMs, uploadTimeoutMs, maxFrameBytes, backoffBaseMs,
 * backoffCapMs, initialHistory, refreshMarginMs.
 * @param {Object} options
 * @returns {WximClient}
 */
export function createClient(options) {
  return new WximClient(options);
}

export class WximClient {
  constructor(options = {}) {
    if (!options.baseUrl) throw new Error('baseUrl is required');
    if (!options.transport) throw new Error('transport is required (wxTransport(wx) or webSocketTransport(WebSocket))');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.wsUrl = options.wsUrl || `${this.baseUrl.replace(/^http/, 'ws')}/ws`;
    this._transport = options.transport;
    this._http = options.http || fetchHttp();
    this._storage = options.storage || memoryStorage();
    this._timers = options.timers || DEFAULT_TIMERS;
    this._now = options.now || (() => Date.now());
    this._random = options.random || Math.random;
    this._requestTimeoutMs = options.requestTimeoutMs || 15000;
    this._httpTimeoutMs = options.httpTimeoutMs || 15000;
    this._uploadTimeoutMs = options.uploadTimeoutMs || 120000;
    this._maxFrameBytes = options.maxFrameBytes || 65536; // the gateway's frame limit (protocol: larger closes 1009)
    this._backoffBaseMs = options.backoffBaseMs || 500;
    this._backoffCapMs = options.backoffCapMs || 30000;
    this._initialHistory = options.initialHistory === undefined ? 50 : options.initialHistory;
    this._refreshMarginMs = options.refreshMarginMs || 60000;
    this._persistSeqs = options.persistSeqs !== false;
    this._stableMs = options.stableMs === undefined ? 10000 : options.stableMs;
    this._secure = !!options.secure;
    const webCrypto = options.crypto || G.crypto;
    this._cryptoImpl = options.forge ? { forge: options.forge } : webCrypto && webCrypto.subtle ? { subtle: webCrypto.subtle } : null;
    this._randomBytes = options.randomBytes || ((n) => webCrypto.getRandomValues(new Uint8Array(n)));
    if (this._secure && !this._cryptoImpl) throw new Error('secure: true needs WebCrypto (crypto option) or node-forge (forge option)');

    this._handlers = new Map();
    this._tokens = null;
    this.user = null;
    this.state = 'idle';
    this.conversations = new Map(); // conv -> {conv, name, peer, active, online, lastSeq} from welcome / joined / pairStarted
    // conv -> {last, pending: Map(seq -> message), syncing, needSync (also: asked again while syncing), gapTries}
    this._convs = new Map();
    this._recalls = new Set(); // `${conv}\n${seq}` of recalls already emitted (oldest first, bounded)
    this._outbox = new Map(); // cmid -> {frame, attempts, waiters: [{resolve, reject}], timer}
    this._queue = []; // requests waiting for a ready connection
    this._conn = null;
    this._connSeq = 0;
    this._ridSeq = 0;
    // rids differ across starts of the app: a rid the server saw before (a `create`'s, for one) must not come again
    // (Math.random, not the injected random, whose calls the backoff tests count)
    this._ridPrefix = `q${Math.floor(Math.random() * 36 ** 6).toString(36)}.`;
    this._attempt = 0;
    this._failures = 0;
    this._stopped = false;
    this._started = false;
    this._reconnectTimer = null;
    this._refreshTimer = null;
    this._refreshing = null;
    this._refreshCall = null; // the POST /api/auth/refresh on its way, also past its timeout
    this._refreshRetry = null; // {token, since, timer}: a failed refresh call's retry within the server's grace
    this._keys = null;
  }

  // ----- events -----

  /** Subscribes to an event; returns the unsubscribe function. */
  on(event, fn) {
    if (!this._handlers.has(event)) this._handlers.set(event, new Set());
    this._handlers.get(event).add(fn);
    return () => this.off(event, fn);
  }

  off(event, fn) {
    const set = this._handlers.get(event);
    if (set) set.delete(fn);
  }

  /** Resolves with the next `event` whose payload matches `filter` (optional). */
  once(event, filter) {
    return new Promise((resolve) => {
      const off = this.on(event, (v) => {
        if (!filter || filter(v)) {
          off();
          resolve(v);
        }
      });
    });
  }

  _emit(event, value) {
    const set = this._handlers.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(value);
      } catch (e) {
        if (event !== 'error') this._emit('error', e);
      }
    }
  }

  _setState(state, extra) {
    if (this.state === state) return;
    this.state = state;
    this._emit('state', { state, ...extra });
  }

  // ----- REST: login, refresh, media, conversations, history -----

  /**
   * Rejects with WximError `timeout` (retry) when `promise` has not settled within `ms`: the adapter ends the call a
   * little later (`timeoutMs`; a custom one may not), and a hung call must not hang what waits for it (a refresh
   * inside a reconnect, most of all).
   */
  _timed(promise, ms, what) {
    return new Promise((resolve, reject) => {
      const timer = this._timers.setTimeout(() => reject(new WximError('timeout', `${what}: no answer in ${ms} ms`, true)), ms);
      promise.then((v) => { this._timers.clearTimeout(timer); resolve(v); }, (e) => { this._timers.clearTimeout(timer); reject(e); });
    });
  }

  _call(method, path, body, auth) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth && this._tokens) headers.Authorization = `Bearer ${this._tokens.accessToken}`;
    return this._http.request({ method, url: this.baseUrl + path, headers, body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: this._httpTimeoutMs + ADAPTER_GRACE_MS });
  }

  async _rest(method, path, body, auth = true, retried = false) {
    const res = await this._timed(this._call(method, path, body, auth), this._httpTimeoutMs, `${method} ${path}`);
    if (res.status === 401 && auth && !retried && this._tokens) {
      await this.refresh();
      return this._rest(method, path, body, auth, true);
    }
    return answer(res);
  }

  /** Local development login (POST /api/auth/dev-login). */
  async devLogin(nickname, avatarUrl) {
    return this.setSession(await this._rest('POST', '/api/auth/dev-login', avatarUrl ? { nickname, avatarUrl } : { nickname }, false));
  }

  /** WeChat login with the code of wx.login() and optionally {rawData, signature, encryptedData, iv}. */
  async wechatLogin(code, extra = {}) {
    return this.setSession(await this._rest('POST', '/api/auth/wechat/login', { ...extra, code }, false));
  }

  /**
   * Uses a token pair (from a login, or stored by the app); loads this user's outbox and read positions. Another
   * user's pair closes the current connection (and reconnects as that user if the client was started).
   */
  setSession(pair) {
    const previous = this.user && this.user.id;
    // whose pair: its `user`, else the access token's `sub` (the user id); the profile is kept for the same user only
    const id = (pair.user && pair.user.id) || jwtSubject(pair.accessToken) || previous || 'anonymous';
    const user = pair.user || (id === previous ? { ...this.user } : { id });
    this._tokens = {
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      expiresAt: this._now() + (pair.expiresIn || 900) * 1000,
    };
    this.user = user;
    if (this._refreshRetry && this._refreshRetry.token !== pair.refreshToken) this._cancelRefreshRetry();
    if (user.id !== previous) {
      const open = !!this._conn;
      this._shut('another user'); // opened as the previous user: this user's outbox must not go out on it
      this._loadUserState();
      if (open) this.wake(); // reconnect at once (if started), not after a backoff
    }
    this._scheduleRefresh();
    this._emit('session', { ...pair });
    return pair;
  }

  /** The current token pair (persist it yourself if the app should survive a restart without logging in). */
  get session() {
    return this._tokens && { ...this._tokens, user: this.user };
  }

  /**
   * Gets a new token pair (single flight per refresh token; rejects with `timeout` after httpTimeoutMs); on an open
   * connection the new token is sent in-band (`auth`). Rejects with `superseded` if setSession put another pair in
   * place before the answer (that answer is not used; the new session is left alone).
   */
  refresh() {
    if (!this._tokens) return Promise.reject(new WximError('unauthorized', 'not logged in'));
    const token = this._tokens.refreshToken;
    if (this._refreshing && this._refreshing.token === token) return this._refreshing.promise;
    const call = this._refreshCall && this._refreshCall.token === token ? this._refreshCall.promise : this._startRefresh();
    const flight = { token };
    flight.promise = this._timed(call, this._httpTimeoutMs, 'POST /api/auth/refresh')
      .finally(() => { if (this._refreshing === flight) this._refreshing = null; });
    this._refreshing = flight;
    return flight.promise;
  }

  /**
   * One refresh call per refresh token, also past its timeout: a refresh token presented twice revokes the whole
   * session (protocol: POST /api/auth/refresh), so a later refresh with the same token waits for this call and its
   * late answer is still used. If the session changed meanwhile (setSession), the answer, a pair or a refusal, is
   * about the previous session: it rejects with `superseded`, which no stop acts on.
   */
  _startRefresh() {
    const sent = this._tokens.refreshToken;
    const sentAt = this._now();
    const current = () => !!this._tokens && this._tokens.refreshToken === sent;
    const superseded = () => new WximError('superseded', 'the session changed while this refresh was on its way');
    const call = { token: sent };
    call.promise = this._call('POST', '/api/auth/refresh', { refreshToken: sent }, false).then((res) => {
      if (!current()) throw superseded();
      return answer(res);
    }, (e) => {
      throw current() ? e : superseded();
    }).then((pair) => {
      if (!current()) throw superseded(); // the session changed between the answer and here (another microtask)
      this.setSession(pair);
      const conn = this._conn;
      if (conn && conn.ready) this._auth(conn);
      return pair;
    }, (e) => {
      if (current() && !refused(e)) this._retryRefreshSoon(sent, e, sentAt);
      throw e;
    }).finally(() => { if (this._refreshCall === call) this._refreshCall = null; });
    this._refreshCall = call;
    return call.promise;
  }

  /**
   * A refresh call of `token` ended without a pair and without a refusal: the server may have rotated the token
   * and its answer been lost. Tried again after REFRESH_RETRY_MS (or the answer's Retry-After, if longer; a single
   * flight with whatever else refreshes), for REFRESH_RETRY_WINDOW_MS after the first failed call was sent (not after it
   * failed: a call that hung until its abort would move the window past the server's grace), so the retry falls within
   * auth-service's retry grace whoever asked: a refresh before a reconnect otherwise waited for the next attempt, which
   * a grown backoff put past the grace, and the used token then ended the session. Also after close() and a stop (the
   * client holds only the old token: a later refresh past the grace would end the session), not after logout() nor once
   * the session changed.
   */
  _retryRefreshSoon(token, error, sentAt) {
    const previous = this._refreshRetry && this._refreshRetry.token === token ? this._refreshRetry : null;
    const since = previous ? previous.since : sentAt;
    this._cancelRefreshRetry();
    if (this._now() - since >= REFRESH_RETRY_WINDOW_MS) return;
    const asked = error instanceof WximHttpError ? Number(error.retryAfter) * 1000 : 0;
    const delay = Math.min(Math.max(REFRESH_RETRY_MS, asked || 0), REFRESH_RETRY_WINDOW_MS);
    const retry = { token, since, timer: null };
    retry.timer = this._timers.setTimeout(() => {
      retry.timer = null;
      if (this._refreshRetry !== retry || !this._tokens || this._tokens.refreshToken !== token) return;
      this.refresh().catch((e) => { if (this._started) this._onRefreshFailure(e); });
    }, delay);
    this._refreshRetry = retry;
  }

  _cancelRefreshRetry() {
    if (this._refreshRetry) this._timers.clearTimeout(this._refreshRetry.timer);
    this._refreshRetry = null;
  }

  /** Sends the current token in-band, so the connection is not closed (4003) when the one it opened with expires. */
  /**
   * Sends the current token in-band. An answer that says "not checked now" (`unavailable`, or no answer in time) is
   * retried with backoff while the connection and the token stay current (at most 5 times); a refused token is an
   * error for the app (the connection keeps its previous token until it expires: 4003, then a refresh).
   */
  _auth(conn, attempt = 0) {
    conn.token = this._tokens.accessToken;
    const token = conn.token;
    this._request({ type: 'auth', token }).catch((e) => {
      const current = !conn.closed && this._conn === conn && this._tokens && this._tokens.accessToken === token;
      if (e instanceof WximError && e.retry && e.code !== 'disconnected' && current && attempt < 5) {
        this._timers.setTimeout(() => {
          if (!conn.closed && this._conn === conn && conn.token === token) this._auth(conn, attempt + 1);
        }, Math.max(250, backoffDelay(attempt, this._random, this._backoffBaseMs, this._backoffCapMs)));
        return;
      }
      this._emit('error', e);
    });
  }

  _scheduleRefresh() {
    this._timers.clearTimeout(this._refreshTimer);
    if (!this._tokens || !this._tokens.refreshToken) return;
    const delay = Math.max(1000, this._tokens.expiresAt - this._refreshMarginMs - this._now());
    this._refreshTimer = this._timers.setTimeout(() => {
      this._refreshTimer = null;
      if (this._stopped || this.state === 'idle' || this.state === 'closed') return;
      this.refresh().catch((e) => this._onRefreshFailure(e));
    }, delay);
  }

  _onRefreshFailure(e) {
    if (e instanceof WximError && e.code === 'superseded') return; // setSession scheduled the new session's refresh
    this._emit('error', e);
    if (e instanceof WximHttpError && (e.status === 401 || e.status === 403)) this._stop(4500, 'refresh refused: log in again');
    else if (!(this._refreshRetry && this._refreshRetry.timer)) this._timers.setTimeout(() => this._scheduleRefresh(), 5000);
    // else the failed call's retry comes first (_retryRefreshSoon) and lands here again if it fails
  }

  /** Logs out this session (its connections close with 4501 everywhere). */
  async logout() {
    await this._rest('POST', '/api/auth/logout');
    this._cancelRefreshRetry(); // the session ended on purpose
    this.close();
  }

  /** Uploads an image or voice clip (mini-program: a temp file path; browser/Node: a Blob or bytes). */
  async uploadMedia(file, { filename, contentType } = {}) {
    if (!this._http.upload) throw new Error('the http adapter cannot upload');
    const send = () => this._timed(this._http.upload({
      url: `${this.baseUrl}/api/media`, headers: { Authorization: `Bearer ${this._tokens.accessToken}` }, file, filename, contentType,
      timeoutMs: this._uploadTimeoutMs + ADAPTER_GRACE_MS,
    }), this._uploadTimeoutMs, 'POST /api/media');
    let res = await send();
    if (res.status === 401) {
      await this.refresh();
      res = await send();
    }
    return answer(res);
  }

  /** Fresh signed links of a media file ({id, url, thumbUrl?, expiresAt}), made absolute. */
  async mediaUrl(id, conv) {
    const q = conv ? `?conv=${encodeURIComponent(conv)}` : '';
    const r = await this._rest('GET', `/api/media/${encodeURIComponent(id)}/url${q}`);
    return { ...r, url: this.resolveUrl(r.url), thumbUrl: r.thumbUrl && this.resolveUrl(r.thumbUrl) };
  }

  /** Makes a gateway-relative link (message media urls) absolute. */
  resolveUrl(path) {
    return /^[a-z]+:/i.test(path) ? path : this.baseUrl + path;
  }

  /** GET /api/chat/conversations: the list with last message and unread counts. */
  async conversationList() {
    return (await this._rest('GET', '/api/chat/conversations')).conversations;
  }

  /** GET /api/history/{conv}: {conv, messages, more}. */
  history(conv, { after, before, limit } = {}) {
    const q = [['after', after], ['before', before], ['limit', limit]].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    return this._rest('GET', `/api/history/${encodeURIComponent(conv)}${q.length ? `?${q.join('&')}` : ''}`);
  }

  // ----- connection lifecycle -----

  /** Starts connecting (and keeps reconnecting) with the current session. */
  connect() {
    if (!this._tokens) throw new Error('log in first (devLogin, wechatLogin or setSession)');
    this._stopped = false;
    this._started = true;
    this._scheduleRefresh(); // close() and a stop cleared the timer: without it the connection runs into 4003
    if (!this._conn && !this._reconnectTimer) this._open();
  }

  /**
   * Closes the connection for good (until connect() again). Unsent messages stay in the outbox and their promises
   * stay pending: they settle when the next connect() gets their ack.
   */
  close() {
    this._started = false;
    this._timers.clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    this._timers.clearTimeout(this._refreshTimer);
    this._shut('client closed');
    this._failQueue(new WximError('closed', 'client closed'));
    this._setState('closed');
  }

  /** Closes the current connection from our side (code 1000). */
  _shut(reason) {
    const conn = this._conn;
    if (!conn) return;
    try {
      if (conn.socket) conn.socket.close(1000, reason);
    } catch (e) { /* already closed */ }
    this._closed(conn, 1000, reason);
  }

  /**
   * Reconnects now when offline (skipping the backoff wait); when online, probes the connection with a ping and
   * reconnects if nothing answers within 5 s. Call it when the app comes to the foreground or the network returns.
   */
  wake() {
    if (!this._started || this._stopped) return;
    if (this._reconnectTimer) {
      this._timers.clearTimeout(this._reconnectTimer);
      this._reconnectTimer = null;
      this._attempt = 0;
      this._open();
    } else if (this._conn && this._conn.ready) {
      this._transmit(this._conn, { type: 'ping' });
      this._watch(this._conn, 5000);
    }
  }

  async _open() {
    if (this._conn || this._stopped || !this._started) return;
    this._setState('connecting');
    const conn = {
      id: ++this._connSeq, closed: false, welcomed: false, ready: false, heartbeatMs: 25000,
      channel: null, rxSealed: false, secureRid: null, rx: Promise.resolve(), tx: Promise.resolve(),
      inflight: new Map(), heartbeat: null, watchdog: null,
    };
    this._conn = conn;
    try {
      if (this._tokens.expiresAt - this._now() < this._refreshMarginMs / 2 || (this._failures > 0 && this._failures % 3 === 0)) {
        await this.refresh(); // a stale token fails the handshake (401) and the browser only says "closed"
      }
    } catch (e) {
      if (conn.closed || this._conn !== conn) return; // closed meanwhile: the refusal is not this connection's to act on
      if (e instanceof WximHttpError && (e.status === 401 || e.status === 403)) {
        this._conn = null;
        this._stop(4500, 'refresh refused: log in again');
        return;
      }
      // failed or timed out: try the current token; if it is refused the socket closes and we back off as usual
    }
    if (conn.closed || this._conn !== conn) return;
    this._watch(conn, conn.heartbeatMs * 2); // bounds the handshake and the wait for welcome too
    conn.token = this._tokens.accessToken; // a refresh before `_ready` cannot send `auth` yet: `_ready` does
    try {
      conn.socket = this._transport(this.wsUrl, conn.token, {
        onOpen: () => {},
        onMessage: (text) => this._onText(conn, text),
        onClose: (code, reason) => this._closed(conn, code || 1006, reason),
        onError: (err) => this._drop(conn, `socket error: ${(err && (err.errMsg || err.message)) || 'unknown'}`),
      });
    } catch (e) {
      this._closed(conn, 1006, e.message);
    }
  }

  /** Closes the socket ourselves (dead, invalid frame, socket error) and goes on as if the server had closed it. */
  _drop(conn, reason) {
    if (conn.closed) return;
    try {
      if (conn.socket) conn.socket.close(1000, reason.slice(0, 100));
    } catch (e) { /* ignore */ }
    this._closed(conn, 1006, reason);
  }

  _watch(conn, ms) {
    this._timers.clearTimeout(conn.watchdog);
    conn.watchdog = this._timers.setTimeout(() => this._drop(conn, 'dead connection'), ms);
  }

  _closed(conn, code, reason) {
    if (conn.closed) return;
    conn.closed = true;
    this._timers.clearTimeout(conn.watchdog);
    this._timers.clearInterval(conn.heartbeat);
    if (this._conn === conn) this._conn = null;
    for (const req of conn.inflight.values()) {
      this._timers.clearTimeout(req.timer);
      req.reject(new WximError('disconnected', `connection closed (${code})`, true));
    }
    conn.inflight.clear();
    for (const c of this._convs.values()) {
      c.syncing = false;
      c.gapTries = 0; // counted per connection: the next one syncs these conversations from scratch
    }
    for (const entry of this._outbox.values()) {
      this._timers.clearTimeout(entry.timer);
      entry.timer = null;
    }
    this._emit('disconnected', { code, reason });
    if (!conn.welcomed) this._failures++;
    if (conn.ready && this._now() - conn.readyAt >= this._stableMs) this._attempt = 0; // backoff restarts after a good run
    if (!this._started) return;
    if ((code >= 4500 && code < 5000) || STOP_CODES.includes(code)) {
      this._stop(code, reason);
      return;
    }
    this._setState('offline', { code, reason });
    if (code === 4003) {
      this.refresh().then(() => this._open(), (e) => {
        if (e instanceof WximHttpError && (e.status === 401 || e.status === 403)) this._stop(4500, 'refresh refused: log in again');
        else if (e instanceof WximError && e.code === 'superseded') this._open(); // a new session: its tokens are fresh
        else this._scheduleReconnect();
      });
      return;
    }
    this._scheduleReconnect();
  }

  _scheduleReconnect() {
    if (this._reconnectTimer || this._stopped || !this._started) return;
    const delay = backoffDelay(this._attempt++, this._random, this._backoffBaseMs, this._backoffCapMs);
    this._emit('reconnecting', { delay, attempt: this._attempt });
    this._reconnectTimer = this._timers.setTimeout(() => {
      this._reconnectTimer = null;
      this._open();
    }, delay);
  }

  _stop(code, reason) {
    this._stopped = true;
    this._started = false;
    this._timers.clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    this._timers.clearTimeout(this._refreshTimer);
    this._shut('client stopped'); // a socket left open would keep sending heartbeats, and connect() would not reopen
    this._failQueue(new WximError('stopped', `stopped (${code})`)); // commands: not sent, not kept
    // sends: the frames stay stored, the next connect() of this user sends them (`ack` events)
    this._failWaiters(new WximError('kept', `stopped (${code}): kept in the outbox, sent when this user connects again`));
    this._setState('stopped', { code, reason });
    this._emit('stopped', { code, reason });
  }

  _failQueue(error) {
    for (const req of this._queue.splice(0)) {
      this._timers.clearTimeout(req.timer);
      req.reject(error);
    }
  }

  /** Rejects the promises of the outbox's sends; the sends themselves stay in the outbox. */
  _failWaiters(error) {
    for (const entry of this._outbox.values()) {
      this._timers.clearTimeout(entry.timer);
      entry.timer = null;
      for (const w of entry.waiters.splice(0)) w.reject(error);
    }
  }

  // ----- frames in -----

  _onText(conn, text) {
    if (conn.closed) return;
    this._watch(conn, conn.heartbeatMs * 2);
    if (!this._secure) {
      this._onFrameText(conn, text);
      return;
    }
    conn.rx = conn.rx.then(async () => {
      if (conn.closed) return;
      let plain = text;
      if (conn.rxSealed) {
        try {
          plain = await conn.channel.open(text);
        } catch (e) {
          this._drop(conn, 'invalid secure frame');
          return;
        }
      }
      this._onFrameText(conn, plain);
    }).catch((e) => this._emit('error', e)); // keep the chain going
  }

  _onFrameText(conn, text) {
    let f;
    try {
      f = JSON.parse(text);
    } catch (e) {
      this._emit('error', new WximError('bad_frame', 'server sent a frame that is not JSON'));
      return;
    }
    if (!f || typeof f.type !== 'string' || conn.closed) return;
    if (f.rid && f.rid === conn.secureRid) {
      if (conn.rxSealed) return; // a second answer to `secure` after `secured` (seen from gateways that add a stray error)
      if (f.type === 'secured') conn.rxSealed = true;
      else conn.channel = null; // the `secure` failed: still plaintext
    }
    this._track(f);
    if (f.rid) { // the answer to one of our commands (a late one, after its timeout, is dropped)
      if (conn.inflight.has(f.rid)) conn.inflight.get(f.rid).onFrame(f);
      else if (f.type === 'error') this._onError(f);
      return;
    }
    switch (f.type) {
      case 'welcome': this._onWelcome(conn, f); break;
      case 'message': this._accept(f); break;
      case 'ack': this._onAck(f); break;
      case 'error': this._onError(f); break;
      case 'resync': this._sync([...this._convs.keys()]); break; // live pushes may have been missed
      case 'pong': case 'authed': case 'secured': case 'synced': break;
      case 'recalled': this._recalled(f); break;
      default:
        if (EVENT_TYPES.includes(f.type)) this._emit(f.type, f);
        break;
    }
  }

  /**
   * Emits `recalled` once per recalled message, whether the live event or the stored recall notice (a `message` of
   * kind `recall`, which also reaches devices that were offline, by sync) tells of it first.
   */
  _recalled(r) {
    if (!Number.isSafeInteger(r.seq)) return;
    const key = `${r.conv}\n${r.seq}`;
    if (this._recalls.has(key)) return;
    this._recalls.add(key);
    if (this._recalls.size > MAX_RECALLS_REMEMBERED) this._recalls.delete(this._recalls.values().next().value);
    this._emit('recalled', r);
  }

  /** Bookkeeping for frames that change which conversations exist (replies and events alike). */
  _track(f) {
    if (f.type === 'joined') {
      this.conversations.set(f.conv, { conv: f.conv, name: f.name, online: f.online, lastSeq: f.lastSeq });
      this._know(f.conv, f.lastSeq);
    } else if (f.type === 'left') {
      this.conversations.delete(f.conv);
      this._convs.delete(f.conv);
      this._saveSeqs();
    } else if (f.type === 'pairStarted') { // may come twice for one session (protocol.md): keep what is known of it
      const was = this.conversations.get(f.conv);
      this.conversations.set(f.conv, { conv: f.conv, name: f.peer && f.peer.nickname, peer: f.peer, active: true,
        lastSeq: (was && was.lastSeq) || 0 });
      this._know(f.conv, 0);
    } else if (f.type === 'pairEnded') {
      const c = this.conversations.get(f.conv);
      if (c) c.active = false;
    }
  }

  _onWelcome(conn, f) {
    conn.welcomed = true;
    this._failures = 0;
    conn.heartbeatMs = (f.heartbeatSeconds || 25) * 1000;
    this._watch(conn, conn.heartbeatMs * 2);
    conn.heartbeat = this._timers.setInterval(() => {
      if (!conn.closed && (conn.ready || !conn.secureRid)) this._transmit(conn, { type: 'ping' });
    }, conn.heartbeatMs);
    if (!this.user || (f.user && f.user.id !== this.user.id)) {
      this.user = f.user;
      this._loadUserState();
    } else if (f.user) {
      this.user = { ...this.user, ...f.user };
    }
    for (const c of f.conversations || []) {
      this.conversations.set(c.conv, { ...c });
      this._know(c.conv, c.lastSeq);
    }
    this._emit('welcome', f);
    if (this._secure) this._startSecure(conn, false);
    else this._ready(conn);
  }

  async _startSecure(conn, refetch) {
    conn.secureRid = null;
    let reply;
    try {
      const keys = await this._fetchKeys(refetch);
      const jwk = (keys.keys || []).find((k) => k.kid === keys.current);
      const channel = await createChannel(this._cryptoImpl, jwk, async (n) => this._randomBytes(n));
      if (conn.closed) return;
      const rid = this._rid();
      const answer = this._await(conn, rid, this._requestTimeoutMs);
      conn.secureRid = rid;
      this._transmit(conn, { type: 'secure', rid, kid: keys.current, key: channel.wrapped });
      conn.channel = channel; // every frame sent from now on is sealed
      reply = await answer;
    } catch (e) {
      if (conn.closed) return;
      if (e instanceof WximError && e.code === 'unknown_key' && !refetch) {
        this._startSecure(conn, true);
        return;
      }
      this._emit('error', e);
      if (e instanceof WximError && e.code === 'unsupported') {
        this._drop(conn, 'encryption unsupported');
        this._stop(4500, 'encryption is off on this server');
      } else {
        this._drop(conn, 'secure handshake failed');
      }
      return;
    }
    if (reply && !conn.closed) this._ready(conn);
  }

  async _fetchKeys(refetch) {
    if (refetch || !this._keys || this._now() - this._keys.at > KEYS_CACHE_MS) {
      this._keys = { at: this._now(), value: await this._rest('GET', '/api/auth/keys') };
    }
    return this._keys.value;
  }

  /** The connection is usable: resend the outbox, sync what is missing, send the queued requests. */
  _ready(conn) {
    conn.ready = true;
    conn.readyAt = this._now();
    this._setState('online');
    if (this._tokens && this._tokens.accessToken !== conn.token) this._auth(conn);
    const wanted = [];
    for (const [conv, c] of this._convs) {
      const known = this.conversations.get(conv);
      if (c.needSync || c.pending.size || (known && known.lastSeq > c.last)) wanted.push(conv);
    }
    this._sync(wanted);
    for (const [cmid, entry] of this._outbox) { // same cmid: stored once
      const tooLarge = this._tooLarge(entry.frame); // stored by an older version: it would close every connection
      if (tooLarge) this._fail(cmid, entry, tooLarge);
      else this._transmit(conn, entry.frame);
    }
    for (const req of this._queue.splice(0)) this._sendRequest(conn, req);
  }

  // ----- ordered delivery, sync -----

  _know(conv, lastSeq) {
    const known = this._convs.get(conv);
    if (known) {
      if (lastSeq > known.last) this._sync([conv]); // also while it syncs: then once more after that answer
      return known;
    }
    const c = { last: Math.max(0, (lastSeq || 0) - this._initialHistory), pending: new Map(), syncing: false, needSync: false, gapTries: 0 };
    this._convs.set(conv, c);
    if (lastSeq > 0) this._sync([conv]);
    return c;
  }

  _accept(m) {
    if (!m.conv || !Number.isSafeInteger(m.seq)) return;
    const c = this._convs.get(m.conv) || this._know(m.conv, m.seq - 1);
    if (m.seq <= c.last || c.pending.has(m.seq)) return; // duplicate (push + sync, resend)
    c.pending.set(m.seq, m);
    this._drain(m.conv, c);
  }

  _drain(conv, c) {
    let delivered = false;
    while (c.pending.has(c.last + 1)) {
      const m = c.pending.get(c.last + 1);
      c.pending.delete(c.last + 1);
      c.last += 1;
      delivered = true;
      c.gapTries = 0;
      const known = this.conversations.get(conv);
      if (known && m.seq > (known.lastSeq || 0)) known.lastSeq = m.seq;
      if (m.kind === 'recall') this._recalled({ type: 'recalled', conv, seq: Number(m.body), by: m.from && m.from.id, from: m.from });
      else this._emit('message', m);
    }
    if (delivered) this._saveSeqs();
    // a gap: a sync fills it (a sync on its way will; the answered ones that leave it are counted in _syncAgain)
    if (c.pending.size && !c.syncing) this._sync([conv]);
  }

  /**
   * Sends `sync` for these conversations (in frames of at most 100); answers come in conversation-id order. One
   * that is syncing now is marked (needSync) and synced again after its answer, which may predate what was asked.
   */
  _sync(convList) {
    const conn = this._conn;
    const list = convList.filter((conv) => this._convs.has(conv));
    for (const conv of list) this._convs.get(conv).needSync = true;
    if (!conn || !conn.ready) return;
    const idle = list.filter((conv) => !this._convs.get(conv).syncing).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i < idle.length; i += MAX_SYNC_CONVS) this._syncChunk(conn, idle.slice(i, i + MAX_SYNC_CONVS));
  }

  /**
   * One `sync` frame. The conversations that need more (`more`, asked again meanwhile, a gap left) stay `syncing`
   * and go in ONE follow-up after the last answer: a frame each would run into the frame rate limit (20/s).
   */
  _syncChunk(conn, chunk) {
    const convs = {};
    for (const conv of chunk) {
      const c = this._convs.get(conv);
      c.syncing = true;
      c.needSync = false;
      convs[conv] = c.last;
    }
    const rid = this._rid();
    const again = []; // answered, to be synced again at once (`more`, asked again meanwhile, a gap left)
    const later = []; // answered with a retryable error of their own: synced again after a backoff
    let index = 0;
    /** `rest`: not answered (yet); `then`: 'backoff' (sync them after a delay) or 'hold' (at the next occasion). */
    const finish = (rest, then) => {
      this._timers.clearTimeout(req.timer);
      conn.inflight.delete(rid);
      for (const conv of [...again, ...rest]) {
        const c = this._convs.get(conv);
        if (c) Object.assign(c, { syncing: false, needSync: true }); // still wanted if the connection drops now
      }
      if (again.length) this._sync(again);
      if (rest.length && then === 'backoff') this._timers.setTimeout(() => this._sync(rest), backoffDelay(1, this._random) + 250);
    };
    const req = {
      onFrame: (f) => {
        if (f.type === 'error' && !f.conv && index === 0 && f.code !== 'not_found') {
          // the whole sync failed (no further frames): retry later, or (a refused request) at the next occasion.
          // A server before `conv` (a replica not yet upgraded in a rollout) sent per-conversation errors without it:
          // its `not_found`, or any error after the first frame, is matched by position below as it was then.
          if (!f.retry) this._emit('error', new WximError(f.code, f.message, false, f));
          finish([...later, ...chunk.slice(index)], f.retry ? 'backoff' : 'hold');
          return;
        }
        const conv = f.conv || chunk[index];
        index++;
        const c = this._convs.get(conv);
        if (f.type === 'error') {
          if (f.retry) {
            later.push(conv); // this one only; the answers for the others follow
          } else {
            this._convs.delete(conv); // not (or no longer) a member
            this._saveSeqs();
          }
        } else if (c) {
          for (const m of f.messages || []) {
            if (m.seq > c.last && !c.pending.has(m.seq)) c.pending.set(m.seq, m);
          }
          this._drain(conv, c); // still `syncing`: a gap left does not send a sync of its own
          if (this._syncAgain(conv, c, f.more)) again.push(conv);
          else c.syncing = false;
        }
        if (index >= chunk.length) finish(later, 'backoff');
      },
      reject: () => {},
      timer: this._timers.setTimeout(() => finish([...later, ...chunk.slice(index)], 'backoff'), this._requestTimeoutMs),
    };
    conn.inflight.set(rid, req);
    this._transmit(conn, { type: 'sync', rid, convs });
  }

  /**
   * After a conversation's answer (drained): whether to sync it again. Only an answered, complete sync that leaves
   * a gap counts (not a push while not ready, nor a failed sync); after GAP_TRIES of those the server has not got
   * the missing seqs (should not happen): a `gap` event says so and what we have is delivered, in order.
   */
  _syncAgain(conv, c, more) {
    if (more || c.needSync) {
      if (more) c.gapTries = 0;
      return true;
    }
    if (!c.pending.size) {
      c.gapTries = 0;
      return false;
    }
    if (++c.gapTries < GAP_TRIES) return true;
    c.gapTries = 0;
    const to = Math.min(...c.pending.keys()) - 1;
    this._emit('gap', { conv, from: c.last + 1, to });
    c.last = to;
    this._drain(conv, c);
    return c.pending.size > 0; // another gap further on: that one gets its own tries
  }

  // ----- frames out, requests -----

  _rid() {
    return `${this._ridPrefix}${(++this._ridSeq).toString(36)}`;
  }

  _transmit(conn, frame) {
    if (!conn || conn.closed || !conn.socket) return;
    const text = JSON.stringify(frame);
    if (!conn.channel) {
      try {
        conn.socket.send(text);
      } catch (e) {
        this._drop(conn, 'send failed');
      }
      return;
    }
    const { channel } = conn;
    conn.tx = conn.tx.then(() => channel.seal(text)).then((s) => {
      if (!conn.closed) conn.socket.send(s);
    }).catch(() => this._drop(conn, 'seal failed'));
  }

  /** Registers a reply waiter for `rid` on `conn`: resolves with the reply, rejects with the `error` frame. */
  _await(conn, rid, timeoutMs) {
    return new Promise((resolve, reject) => {
      const req = {
        onFrame: (f) => {
          this._timers.clearTimeout(req.timer);
          conn.inflight.delete(rid);
          if (f.type === 'error') reject(new WximError(f.code, f.message, f.retry, f));
          else resolve(f);
        },
        reject,
        timer: this._timers.setTimeout(() => {
          conn.inflight.delete(rid);
          reject(new WximError('timeout', `no answer to ${rid} in ${timeoutMs} ms`, true));
        }, timeoutMs),
      };
      conn.inflight.set(rid, req);
    });
  }

  /** Sends a command (waiting for a ready connection) and resolves with its reply frame. */
  _request(frame, timeoutMs = this._requestTimeoutMs) {
    return new Promise((resolve, reject) => {
      const req = { frame: { ...frame, rid: this._rid() }, resolve, reject, timeoutMs, deadline: this._now() + timeoutMs };
      req.timer = this._timers.setTimeout(() => {
        const i = this._queue.indexOf(req);
        if (i >= 0) this._queue.splice(i, 1);
        reject(new WximError('timeout', `not connected within ${timeoutMs} ms`, true));
      }, timeoutMs);
      const refused = this._stopped ? new WximError('stopped', 'the client is stopped') : this._tooLarge(req.frame);
      if (refused) {
        this._timers.clearTimeout(req.timer);
        reject(refused);
      } else if (this._conn && this._conn.ready) this._sendRequest(this._conn, req);
      else this._queue.push(req);
    });
  }

  /**
   * WximError `too_large` for a frame over maxFrameBytes as sent (sealed, in encrypted mode), else null: the gateway
   * closes the connection (1009) on such a frame, so an outbox entry like it would block the outbox for good.
   */
  _tooLarge(frame) {
    const n = utf8Length(JSON.stringify(frame));
    const bytes = this._secure ? sealedLength(n) : n;
    if (bytes <= this._maxFrameBytes) return null;
    return new WximError('too_large', `the frame would take ${bytes} bytes, over the limit of ${this._maxFrameBytes}`);
  }

  _sendRequest(conn, req) {
    this._timers.clearTimeout(req.timer);
    const left = Math.max(1, req.deadline - this._now());
    this._await(conn, req.frame.rid, left).then(req.resolve, req.reject);
    this._transmit(conn, req.frame);
  }

  // ----- outbox -----

  _key(what) {
    return `wxim:${this.user.id}:${what}`;
  }

  _loadUserState() {
    // the previous user's sends stay stored for them (under their key); their promises would otherwise never settle
    this._failWaiters(new WximError('kept', 'another user logged in: kept in the outbox, sent when that user connects again'));
    // their commands waiting for a connection must not go out on this user's connection
    this._failQueue(new WximError('stopped', 'another user logged in'));
    this._outbox = new Map();
    this._convs = new Map();
    this._recalls = new Set();
    this.conversations = new Map();
    if (!this.user || !this.user.id) return;
    try {
      for (const frame of JSON.parse(this._storage.get(this._key('outbox')) || '[]')) {
        this._outbox.set(frame.cmid, { frame, attempts: 0, waiters: [], timer: null });
      }
      if (this._persistSeqs) {
        const seqs = JSON.parse(this._storage.get(this._key('seqs')) || '{}');
        for (const [conv, last] of Object.entries(seqs)) {
          this._convs.set(conv, { last, pending: new Map(), syncing: false, needSync: false, gapTries: 0 });
        }
      }
    } catch (e) {
      this._emit('error', e);
    }
  }

  _saveOutbox() {
    if (!this.user) return;
    const frames = [...this._outbox.values()].map((e) => e.frame);
    if (frames.length) this._storage.set(this._key('outbox'), JSON.stringify(frames));
    else this._storage.remove(this._key('outbox'));
  }

  _saveSeqs() {
    if (!this.user || !this._persistSeqs) return;
    const seqs = {};
    for (const [conv, c] of this._convs) seqs[conv] = c.last;
    this._storage.set(this._key('seqs'), JSON.stringify(seqs));
  }

  /** The sends not acknowledged yet (kept across restarts), oldest first. */
  pending() {
    return [...this._outbox.values()].map((e) => ({ ...e.frame }));
  }

  _send(target, fields) {
    if (!this.user) throw new Error('log in first');
    if (typeof target !== 'string' || !target) throw new Error('target must be a conversation id or a user id');
    const cmid = `c-${this._now().toString(36)}-${Math.floor(this._random() * 2 ** 31).toString(36)}`;
    const frame = { type: 'send', cmid, ...(target.includes(':') ? { conv: target } : { to: target }), ...fields };
    // neither is stored: a stopped client would keep it from its promise, a frame too large would block the outbox
    const refused = this._stopped ? new WximError('stopped', 'the client is stopped') : this._tooLarge(frame);
    if (refused) return Object.assign(Promise.reject(refused), { cmid });
    const entry = { frame, attempts: 0, waiters: [], timer: null };
    this._outbox.set(cmid, entry);
    this._saveOutbox();
    const promise = new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
    promise.cmid = cmid;
    if (this._conn && this._conn.ready) this._transmit(this._conn, frame);
    return promise;
  }

  _onAck(f) {
    const entry = this._outbox.get(f.cmid);
    if (!entry) return; // a second ack for a resend
    this._timers.clearTimeout(entry.timer);
    this._outbox.delete(f.cmid);
    this._saveOutbox();
    if (f.conv && !this._convs.has(f.conv)) this._know(f.conv, f.seq - 1);
    for (const w of entry.waiters) w.resolve(f);
    this._emit('ack', f);
  }

  _onError(f) {
    const entry = f.cmid && this._outbox.get(f.cmid);
    const error = new WximError(f.code, f.message, f.retry, f);
    if (!entry) {
      this._emit('error', error);
      return;
    }
    if (f.retry) { // rate_limited, unavailable, internal: same cmid again after a backoff delay
      this._timers.clearTimeout(entry.timer);
      const delay = backoffDelay(entry.attempts++, this._random, this._backoffBaseMs, this._backoffCapMs);
      const retryAfter = Number.isFinite(f.retryAfter) ? f.retryAfter : 0; // the send rate's own wait (ms)
      entry.timer = this._timers.setTimeout(() => {
        entry.timer = null;
        if (this._outbox.has(f.cmid) && this._conn && this._conn.ready) this._transmit(this._conn, entry.frame);
      }, Math.max(250, retryAfter, delay));
      return;
    }
    this._fail(f.cmid, entry, error);
  }

  /** A send refused for good: out of the outbox, its promise rejected, `failed` emitted. */
  _fail(cmid, entry, error) {
    this._outbox.delete(cmid);
    this._saveOutbox();
    for (const w of entry.waiters) w.reject(error);
    this._emit('failed', { cmid, frame: entry.frame, error });
  }

  // ----- the typed API -----

  /** Sends a text to a conversation (`r:..`, `d:..`, `p:..`) or, for a target without ':', to that user directly. */
  sendText(target, body) {
    return this._send(target, { body });
  }

  /** Sends an uploaded image (the id from uploadMedia). */
  sendImage(target, mediaId) {
    return this._send(target, { kind: 'image', media: mediaId });
  }

  /** Sends an uploaded voice clip with its length in milliseconds. */
  sendAudio(target, mediaId, durationMs) {
    return this._send(target, { kind: 'audio', media: mediaId, duration: Math.round(durationMs) });
  }

  async rooms() {
    return (await this._request({ type: 'rooms' })).rooms;
  }

  createRoom(name) {
    return this._request({ type: 'create', name });
  }

  join(conv) {
    return this._request({ type: 'join', conv });
  }

  leave(conv) {
    return this._request({ type: 'leave', conv });
  }

  async members(conv) {
    return (await this._request({ type: 'members', conv })).members;
  }

  /** Moves the read cursor to `seq` (default: the newest message delivered here); resolves {seq, unread}. */
  markRead(conv, seq) {
    const at = seq === undefined ? (this._convs.get(conv) || { last: 0 }).last : seq;
    return this._request({ type: 'read', conv, seq: at });
  }

  /** "I am typing" (direct and pair conversations, at most every 2 s). No answer on success; errors go to 'error'. */
  typing(conv) {
    this._request({ type: 'typing', conv }, 3000).catch((e) => {
      if (!['timeout', 'disconnected', 'stopped', 'closed'].includes(e.code)) this._emit('error', e);
    });
  }

  recall(conv, seq) {
    return this._request({ type: 'recall', conv, seq });
  }

  status(userId) {
    return this._request({ type: 'status', user: userId });
  }

  pairRequest(userId) {
    return this._request({ type: 'pairRequest', to: userId });
  }

  pairCancel(userId) {
    return this._request({ type: 'pairCancel', to: userId });
  }

  async pairPending() {
    return (await this._request({ type: 'pairPending' })).requests;
  }

  pairAccept(userId) {
    return this._request({ type: 'pairAccept', from: userId });
  }

  pairDecline(userId) {
    return this._request({ type: 'pairDecline', from: userId });
  }

  pairLeave(conv) {
    return this._request({ type: 'pairLeave', conv });
  }

  /** Sends a ping and resolves with the pong. */
  ping() {
    return this._request({ type: 'ping' });
  }

  /** The highest seq delivered in order for a conversation (0 if none). */
  lastSeq(conv) {
    const c = this._convs.get(conv);
    return c ? c.last : 0;
  }
}

/** A refresh the server refused (the token is not valid, the request is wrong): trying again cannot help. */
function refused(e) {
  if (e instanceof WximError && e.code === 'superseded') return true;
  return e instanceof WximHttpError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429;
}

/** The data of an HTTP answer, or WximHttpError for a status >= 400. */
function answer(res) {
  if (res.status >= 400) throw new WximHttpError(res.status, res.data, res.headers && res.headers['retry-after']);
  return res.data;
}

/** The `sub` claim (the user id) of a JWT, or null if it has none: whose session a pair without `user` is. */
function jwtSubject(token) {
  try {
    const part = token.split('.')[1];
    const bytes = fromBase64Url(part);
    let json = '';
    for (const b of bytes) json += String.fromCharCode(b);
    const sub = JSON.parse(decodeURIComponent(escape(json))).sub;
    return typeof sub === 'string' && sub ? sub : null;
  } catch (e) {
    return null;
  }
}
