// Hand-written types of @wxim/client (wxim.mjs / wxim.cjs). Frames follow docs/protocol.md.

export interface User { id: string; nickname?: string; avatarUrl?: string }
export interface TokenPair { accessToken: string; refreshToken: string; tokenType?: string; expiresIn?: number; user?: User }

export interface Media {
  id: string; contentType: string; size: number; width?: number; height?: number; duration?: number;
  url: string; thumbUrl?: string; expiresAt: number;
}
/**
 * A stored message. `kind: 'recall'` is a recall notice (body: the recalled seq); the `message` event never carries
 * one (it becomes a `recalled` event), but `history()` pages and the conversation list's `lastMessage` do.
 */
export interface Message {
  type: 'message'; conv: string; seq: number; id: string; from: User; cmid?: string;
  kind: 'text' | 'image' | 'audio' | 'recall'; body?: string; media?: Media; duration?: number; ts: number; recalled?: true;
}
export interface Ack { type: 'ack'; cmid: string; conv: string; seq: number; id: string; ts: number }
export interface ErrorFrame {
  type: 'error'; rid?: string; cmid?: string; code: string; message: string; retry: boolean;
  /** set only on a `sync`'s error for one of its conversations */ conv?: string;
  /** milliseconds to wait before resending (`rate_limited`) */ retryAfter?: number;
}
export interface ConversationInfo {
  conv: string; name?: string; lastSeq: number; online?: number; peer?: User; active?: boolean;
}
export interface Room { conv: string; name: string; online: number; member: boolean }
export interface Joined { type: 'joined'; conv: string; name: string; online: number; lastSeq: number }
export interface ReadCursor { type: 'read'; conv: string; seq: number; unread: number }
/** `id` is absent and `from` (the recaller) present when the client learned of the recall from the recall notice. */
export interface Recalled { type: 'recalled'; conv: string; seq: number; id?: string; by: string; from?: User }
export interface Status { type: 'status'; user: User; status: 'online' | 'offline'; lastSeen?: number }
export interface PairRequestSent { type: 'pairRequestSent'; to: User; expiresAt: number }
export interface PairRequested { type: 'pairRequested'; from: User; expiresAt: number }
export interface PairRequestClosed {
  type: 'pairRequestClosed'; from: string; to: string; reason: 'cancelled' | 'declined' | 'expired' | 'busy';
}
export interface PairStarted { type: 'pairStarted'; conv: string; peer: User }
export interface PairEnded { type: 'pairEnded'; conv: string; peer: string; reason: 'left' | 'peer_left' | 'peer_offline' }
export interface MemberChange { type: 'memberJoined' | 'memberLeft'; conv: string; user: User; online: number }
export interface Presence { type: 'presence'; conv: string; user: User; status: 'online' | 'offline'; online: number }
/** A crowded room's online count, sent instead of per-user memberJoined / memberLeft / presence (about once a second). */
export interface OnlineCount { type: 'online'; conv: string; online: number }
export interface Typing { type: 'typing'; conv: string; user: User }
export interface Welcome { type: 'welcome'; user: User; conversations: ConversationInfo[]; heartbeatSeconds: number }
export interface Upload {
  id: string; kind: 'image' | 'audio'; contentType: string; size: number; width?: number; height?: number;
  url: string; thumbUrl?: string; expiresAt: number;
}
export interface MediaLinks { id: string; url: string; thumbUrl?: string; expiresAt: number }

export type ConnectionState = 'idle' | 'connecting' | 'online' | 'offline' | 'stopped' | 'closed';

export interface ClientEvents {
  message: Message;
  /** A room joined (or created) on another device of yours; `client.conversations` has it already. */
  joined: Joined;
  /** A room left on another device of yours; gone from `client.conversations` already. */
  left: { type: 'left'; conv: string };
  memberJoined: MemberChange;
  memberLeft: MemberChange;
  presence: Presence;
  online: OnlineCount;
  read: ReadCursor;
  typing: Typing;
  recalled: Recalled;
  pairRequested: PairRequested;
  pairRequestSent: PairRequestSent;
  pairRequestClosed: PairRequestClosed;
  pairStarted: PairStarted;
  pairEnded: PairEnded;
  state: { state: ConnectionState; code?: number; reason?: string };
  stopped: { code: number; reason?: string };
  error: Error;
  welcome: Welcome;
  /**
   * Every acknowledged send, by `cmid`: also one whose promise was rejected with `kept` (sent on a later connection
   * of its user) or that an earlier run of the app stored.
   */
  ack: Ack;
  /** A send refused for good (out of the outbox), also one whose promise was rejected with `kept`. */
  failed: { cmid: string; frame: object; error: WximError };
  session: TokenPair;
  disconnected: { code: number; reason?: string };
  reconnecting: { delay: number; attempt: number };
  /**
   * Seqs `from`..`to` of `conv` were given up as missing on the server (3 answered, complete syncs did not bring
   * them); the later messages are delivered next. Should not happen: fetch them with `history()` or show a gap.
   */
  gap: { conv: string; from: number; to: number };
}

export interface SocketHandlers {
  onOpen(): void; onMessage(text: string): void; onClose(code: number, reason?: string): void; onError(err: unknown): void;
}
export type Transport = (url: string, token: string, handlers: SocketHandlers) => {
  send(text: string): void; close(code?: number, reason?: string): void;
};
export interface HttpResponse { status: number; data: any; headers?: Record<string, string | null> }
/** `timeoutMs`: abort the call after that long (the client's own timeout answered first); an adapter may ignore it. */
export interface Http {
  request(req: { method: string; url: string; headers: Record<string, string>; body?: string; timeoutMs?: number }): Promise<HttpResponse>;
  upload?(req: { url: string; headers: Record<string, string>; file: any; filename?: string; contentType?: string; timeoutMs?: number }): Promise<HttpResponse>;
}
export interface Storage { get(key: string): string | null; set(key: string, value: string): void; remove(key: string): void }
export interface Timers {
  setTimeout(fn: () => void, ms: number): any; clearTimeout(id: any): void;
  setInterval(fn: () => void, ms: number): any; clearInterval(id: any): void;
}

export interface ClientOptions {
  /** http(s) origin of the gateway, e.g. https://im.example.com */
  baseUrl: string;
  /** WebSocket URL; default: baseUrl with ws(s):// and /ws */
  wsUrl?: string;
  transport: Transport;
  /** default fetchHttp() */
  http?: Http;
  /** default memoryStorage() */
  storage?: Storage;
  /** encrypted frames (protocol section 10) */
  secure?: boolean;
  /** node-forge module for encryption without WebCrypto (mini-programs); pure-JS mode is switched on */
  forge?: any;
  /** a WebCrypto object (default globalThis.crypto; Node 18: require('node:crypto').webcrypto) */
  crypto?: { subtle: any; getRandomValues(a: Uint8Array): Uint8Array };
  /** strong random bytes (default crypto.getRandomValues; mini-programs: wxRandom(wx)) */
  randomBytes?: (n: number) => Uint8Array | Promise<Uint8Array>;
  /** jitter source, default Math.random */
  random?: () => number;
  timers?: Timers;
  now?: () => number;
  /** default 15000 */
  requestTimeoutMs?: number;
  /** every REST call (the token refresh included) rejects with WximError `timeout` after this long, default 15000 */
  httpTimeoutMs?: number;
  /** uploadMedia rejects with WximError `timeout` after this long, default 120000 */
  uploadTimeoutMs?: number;
  /**
   * the gateway's frame limit in bytes, default 65536: a send or command whose frame would be larger (UTF-8; sealed
   * size in encrypted mode) rejects with WximError `too_large` and is not stored
   */
  maxFrameBytes?: number;
  /** default 500 */
  backoffBaseMs?: number;
  /** default 30000 */
  backoffCapMs?: number;
  /** messages fetched for a conversation seen for the first time, default 50 */
  initialHistory?: number;
  /** refresh this long before the access token expires, default 60000 */
  refreshMarginMs?: number;
  /** keep the last delivered seq per conversation in storage, default true */
  persistSeqs?: boolean;
  /** a connection online this long resets the backoff, default 10000 */
  stableMs?: number;
}

/**
 * Codes raised by the client itself: `timeout`, `disconnected`, `closed`, `too_large` (over maxFrameBytes),
 * `unauthorized`, and
 * - `stopped`: NOT sent and NOT kept: a send made while the client is stopped (not stored), a command waiting for a
 *   connection at a stop or when another user's session is set;
 * - `kept`: a pending send at a stop (4500+, refused refresh) or when another user's session is set: NOT lost, it
 *   stays in that user's stored outbox (`wxim:<userId>:outbox`) and is sent when that user connects again; the `ack`
 *   (or `failed`) event reports it by `cmid`. Do not send it again yourself;
 * - `superseded`: a `refresh()` whose session was replaced by setSession before its answer (the answer is dropped).
 */
export class WximError extends Error {
  constructor(code: string, message?: string, retry?: boolean, frame?: ErrorFrame);
  code: string;
  retry: boolean;
  frame?: ErrorFrame;
}
export class WximHttpError extends Error {
  constructor(status: number, data?: any, retryAfter?: string | null);
  status: number;
  code?: string;
  retryable: boolean;
  retryAfter?: string | null;
  problem: Record<string, any>;
}

export type SendPromise = Promise<Ack> & { cmid: string };

export class WximClient {
  constructor(options: ClientOptions);
  readonly baseUrl: string;
  readonly wsUrl: string;
  user: User | null;
  state: ConnectionState;
  conversations: Map<string, ConversationInfo>;
  readonly session: (TokenPair & { expiresAt: number }) | null;

  on<K extends keyof ClientEvents>(event: K, fn: (value: ClientEvents[K]) => void): () => void;
  off<K extends keyof ClientEvents>(event: K, fn: (value: ClientEvents[K]) => void): void;
  once<K extends keyof ClientEvents>(event: K, filter?: (value: ClientEvents[K]) => boolean): Promise<ClientEvents[K]>;

  devLogin(nickname: string, avatarUrl?: string): Promise<TokenPair>;
  wechatLogin(code: string, extra?: { rawData?: string; signature?: string; encryptedData?: string; iv?: string }): Promise<TokenPair>;
  /**
   * The pair's user is `pair.user.id`, else the access token's `sub`. Another user's pair closes the connection,
   * rejects the previous user's pending sends with `kept` (stored under that user's key, sent when they connect
   * again) and their commands waiting for a connection with `stopped`.
   */
  setSession(pair: TokenPair): TokenPair;
  /**
   * Single flight per refresh token (never presented twice). Rejects with `superseded` if setSession replaced the
   * pair before the answer: that answer is dropped and never stops or changes the new session.
   */
  refresh(): Promise<TokenPair>;
  logout(): Promise<void>;

  connect(): void;
  /** Pending send promises stay pending: they settle when a later connect() gets their ack. */
  close(): void;
  wake(): void;

  /**
   * Resolves with the ack. Rejects with `kept` (stored, sent later: see WximError), `stopped` (made while stopped:
   * not stored), `too_large` (not stored) or the server's non-retryable error.
   */
  sendText(target: string, body: string): SendPromise;
  sendImage(target: string, mediaId: string): SendPromise;
  sendAudio(target: string, mediaId: string, durationMs: number): SendPromise;
  pending(): object[];
  uploadMedia(file: any, opts?: { filename?: string; contentType?: string }): Promise<Upload>;
  mediaUrl(id: string, conv?: string): Promise<MediaLinks>;
  resolveUrl(path: string): string;
  conversationList(): Promise<object[]>;
  history(conv: string, page?: { after?: number; before?: number; limit?: number }): Promise<{ conv: string; messages: Message[]; more: boolean }>;

  rooms(): Promise<Room[]>;
  createRoom(name: string): Promise<Joined>;
  join(conv: string): Promise<Joined>;
  leave(conv: string): Promise<{ type: 'left'; conv: string }>;
  members(conv: string): Promise<User[]>;
  markRead(conv: string, seq?: number): Promise<ReadCursor>;
  typing(conv: string): void;
  recall(conv: string, seq: number): Promise<Recalled>;
  status(userId: string): Promise<Status>;
  pairRequest(userId: string): Promise<PairRequestSent>;
  pairCancel(userId: string): Promise<PairRequestClosed>;
  pairPending(): Promise<{ from: User; expiresAt: number }[]>;
  pairAccept(userId: string): Promise<PairStarted>;
  pairDecline(userId: string): Promise<PairRequestClosed>;
  pairLeave(conv: string): Promise<PairEnded>;
  ping(): Promise<{ type: 'pong'; ts: number }>;
  lastSeq(conv: string): number;
}

export function createClient(options: ClientOptions): WximClient;
export function backoffDelay(attempt: number, random: () => number, baseMs?: number, capMs?: number): number;
export function wxTransport(wx: any): Transport;
export function webSocketTransport(WebSocketCtor: any): Transport;
export function fetchHttp(fetchFn?: typeof fetch): Http;
export function wxHttp(wx: any): Http;
export function memoryStorage(): Storage;
export function wxStorage(wx: any): Storage;
export function webStorage(storage?: any): Storage;
export function wxRandom(wx: any): (n: number) => Promise<Uint8Array>;
export function wakeOnWx(client: WximClient, wx: any): () => void;
export function wakeOnBrowser(client: WximClient, win?: any, doc?: any): () => void;
