// Browser end-to-end tests of the web demo (clients/web-demo) against a running wxim: two browser contexts, two
// users, the real gateway, chat and history. Usage: WXIM_BASE_URL=http://127.0.0.1:8080 node run.mjs
// Exit code 0 when every scenario passed, 1 otherwise (the reason is printed). See README.md.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const STEP_TIMEOUT = 10_000;    // one wait or action; the system answers a command in < 10 s (protocol.md section 1)
const RECONNECT_TIMEOUT = 20_000; // the demo's backoff waits at most 10 s (full jitter) between attempts
const RUN_TIMEOUT = 120_000;    // the whole run, browser start to exit
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const base = (process.env.WXIM_BASE_URL || '').replace(/\/+$/, '');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const shotDir = resolve(HERE, process.env.SCREENSHOT_DIR || 'target/screenshots');
const failDir = resolve(HERE, 'target/failures');
// DEMO_DIR: serve the demo's script and style from this folder (e.g. ../web-demo) instead of the gateway's packaged
// copy. Not the page itself: Chromium's Local Network Access checks block a page not loaded from 127.0.0.1 from
// opening a WebSocket there.
const demoDir = process.env.DEMO_DIR ? resolve(HERE, process.env.DEMO_DIR) : null;
const DEMO_FILES = { '/app.js': 'app.js', '/style.css': 'style.css' };

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

if (!base) fail('WXIM_BASE_URL is not set (e.g. WXIM_BASE_URL=http://127.0.0.1:8080 node run.mjs)');
try {
  accessSync(chromiumPath, constants.X_OK);
} catch {
  fail(`no chromium at ${chromiumPath}: apt-get install chromium (or set CHROMIUM_PATH)`);
}
const watchdog = setTimeout(() => fail(`the run took longer than ${RUN_TIMEOUT / 1000} s`), RUN_TIMEOUT);

// Unique names per run, so that runs against the same data never meet each other's users, rooms or sessions.
const runId = Date.now().toString(36).slice(-4);
const A = `Ann ${runId}`;
const B = `Ben ${runId}`;
const ROOM = `Room ${runId}`;
const pageErrors = [];
const trace = []; // console messages and WebSocket events of both pages, printed when something fails

function traced(page, who) {
  const t0 = Date.now();
  const log = (text) => trace.push(`${String(Date.now() - t0).padStart(6)} ms ${who}: ${text}`.slice(0, 300));
  page.on('console', (m) => log(`console.${m.type()} ${m.text()}`));
  page.on('requestfailed', (r) => log(`request failed: ${r.method()} ${r.url().split('?')[0]} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) log(`response ${r.status()} ${r.url().split('?')[0]}`); });
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) log(`navigated to ${f.url()}`); });
  page.on('websocket', (ws) => {
    log('websocket opening');
    ws.on('framereceived', (f) => { if (String(f.payload).includes('"welcome"')) log('welcome received'); });
    ws.on('socketerror', (e) => log(`websocket error ${e}`));
    ws.on('close', () => log('websocket closed'));
  });
}

/** Polls fn until it returns a truthy value; the error names what was awaited and what was last seen. */
async function until(what, fn, timeout = STEP_TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last && (typeof last !== 'object' || last.ok !== false)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last?.seen ?? last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** The open conversation's messages as shown: sender, seq (from "name · #seq"), body text, picture. */
function shown(page) {
  return page.$$eval('#messages li:not(.event)', (lis) => lis.map((li) => {
    const m = (li.querySelector('.from')?.textContent || '').match(/^(.*) · #(\d+)/);
    const img = li.querySelector('img');
    return { from: m?.[1], seq: Number(m?.[2]), body: li.children[1]?.textContent ?? '',
      img: img ? { loaded: img.complete && img.naturalWidth > 0, alt: img.alt } : null };
  }));
}

/** Waits until the open conversation shows exactly `bodies` among the messages whose body starts with prefix. */
async function expectBodies(page, who, prefix, bodies, timeout = STEP_TIMEOUT) {
  const list = await until(`${who} to show ${JSON.stringify(bodies)}`, async () => {
    const all = await shown(page);
    const got = all.filter((m) => m.body.startsWith(prefix)).map((m) => m.body);
    return JSON.stringify(got) === JSON.stringify(bodies) ? all : { ok: false, seen: got };
  }, timeout);
  for (let i = 1; i < list.length; i++) {
    check(list[i].seq > list[i - 1].seq, `${who}: seq not increasing: #${list[i - 1].seq} then #${list[i].seq}`);
  }
  return list;
}

async function noErrorEvents(page, who) {
  const errors = await page.$$eval('#messages li.event', (lis) => lis.map((li) => li.textContent)
    .filter((t) => t.startsWith('error:')));
  check(errors.length === 0, `${who} shows protocol errors: ${errors.join('; ')}`);
}

async function sendText(page, text) {
  await page.fill('#body', text);
  await page.click('#send-form button');
}

async function login(page, nickname) {
  if (!page.url().startsWith(base)) await page.goto(`${base}/`);
  await page.fill('#nickname', nickname);
  await page.click('#login-form button');
  try {
    await page.waitForSelector('#status.online');
  } catch (err) {
    const seen = await page.evaluate(() => ({ loginError: document.getElementById('login-error').textContent,
      status: document.getElementById('status').textContent,
      events: [...document.querySelectorAll('#messages li.event')].map((li) => li.textContent) }));
    throw new Error(`${nickname} did not get online: ${JSON.stringify(seen)}`);
  }
}

/** A screenshot with the newest message in view and, if given, an item of the side panel scrolled into view. */
async function shot(page, name, reveal) {
  if (reveal) await reveal.scrollIntoViewIfNeeded();
  await page.$eval('#messages', (ol) => ol.lastElementChild?.scrollIntoView());
  await page.screenshot({ path: join(shotDir, name) });
}

/** A new browser context with one page, logged in as `who`; setup(ctx, page) runs before the page loads. */
async function openUser(browser, who, setup) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  ctx.setDefaultTimeout(STEP_TIMEOUT);
  if (demoDir) {
    const origin = new URL(base).origin;
    await ctx.route((url) => url.origin === origin && DEMO_FILES[url.pathname],
      (route) => route.fulfill({ path: join(demoDir, DEMO_FILES[new URL(route.request().url()).pathname]) }));
  }
  await ctx.addInitScript(() => { // keep a handle on the demo's sockets so a test can drop them
    const Native = window.WebSocket;
    window.__wximSockets = [];
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        window.__wximSockets.push(this);
      }
    };
  });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${who}: ${e.message}`));
  traced(page, who);
  if (setup) await setup(ctx, page);
  await login(page, who);
  return { ctx, page };
}

/** Route handler: passes the auth response on, noting its access token; `change` edits the body the page gets. */
function tokens(issued, change = (body) => body) {
  return async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    if (res.ok) issued.push(body.accessToken);
    await route.fulfill({ response: res, json: change(body) });
  };
}

/** The nickname an access token was issued to (its `name` claim). */
function whose(accessToken) {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url')).name;
}

/** The access tokens of the page's sockets that are open now. */
function openSocketTokens(page) {
  return page.evaluate(() => window.__wximSockets.filter((ws) => ws.readyState === WebSocket.OPEN)
    .map((ws) => new URL(ws.url).searchParams.get('access_token')));
}

/** Closes the page's open sockets (as a network drop would) and waits until the demo is back online. */
async function dropAndReconnect(page) {
  await page.evaluate(() => window.__wximSockets.forEach((ws) => ws.close()));
  await until('the status to leave "online"', async () => !(await page.isVisible('#status.online')));
  await page.waitForSelector('#status.online', { timeout: RECONNECT_TIMEOUT });
}

/** A login from the login form of a page that is logged in already, as another user (the demo has no logout: this
 *  is what its form does whenever it shows); waits until a connection carrying `nickname`'s token is welcomed. */
async function loginAgain(page, nickname, welcomed) {
  await page.evaluate((name) => {
    document.getElementById('nickname').value = name;
    document.getElementById('login-form').requestSubmit();
  }, nickname);
  await until(`a connection of ${nickname} to be welcomed`, () => welcomed.some((token) => whose(token) === nickname));
  await page.waitForSelector('#status.online');
}

async function openRoom(page) {
  await page.click('#refresh');
  await page.click(`#rooms li:has-text("${ROOM}")`);
  await page.waitForSelector(`#conv-title:text-is("${ROOM}")`);
}

const scenarios = [
  ['room: create, join, online count, messages with increasing seq', async ({ a, b }) => {
    await a.fill('#room-name', ROOM);
    await a.click('#create-form button');
    await a.waitForSelector(`#conv-title:text-is("${ROOM}")`);
    await a.waitForSelector('#online:text-is("1 online")');
    await b.click('#refresh');
    await b.click(`#rooms li:has-text("${ROOM}")`); // not a member yet: joins
    await b.waitForSelector(`#conv-title:text-is("${ROOM}")`);
    await b.waitForSelector('#online:text-is("2 online")');
    await a.waitForSelector('#online:text-is("2 online")');
    await a.waitForSelector(`#messages li.event:text-is("${B} joined")`);
    await sendText(a, 'room 1 hello from Ann');
    await expectBodies(b, B, 'room ', ['room 1 hello from Ann']);
    await sendText(b, 'room 2 hi Ann');
    await sendText(a, 'room 3 welcome, Ben');
    const want = ['room 1 hello from Ann', 'room 2 hi Ann', 'room 3 welcome, Ben'];
    const seenA = await expectBodies(a, A, 'room ', want);
    const seenB = await expectBodies(b, B, 'room ', want);
    check(JSON.stringify(seenA.map((m) => m.seq)) === JSON.stringify(seenB.map((m) => m.seq)),
      `A and B disagree on seq: ${seenA.map((m) => m.seq)} vs ${seenB.map((m) => m.seq)}`);
    check(seenA[0].from === A && seenA[1].from === B, 'senders shown wrongly');
    await shot(a, 'demo-room.png');
  }],

  ['direct message: unread badge on B, cleared when B opens it', async ({ a, b }) => {
    await a.click(`#people li:has-text("${B}") >> button:text-is("Message")`);
    await sendText(a, 'dm 1 psst, Ben');
    await expectBodies(a, A, 'dm ', ['dm 1 psst, Ben']); // acked: the conversation is now d:
    await sendText(a, 'dm 2 are you there?');
    const chat = b.locator('#chats li', { hasText: A });
    await until('B\'s unread badge to show 2', async () =>
      (await chat.locator('.badge').count()) === 1 && (await chat.locator('.badge').textContent()) === '2');
    await shot(b, 'demo-dm.png', chat);
    await chat.click();
    await expectBodies(b, B, 'dm ', ['dm 1 psst, Ben', 'dm 2 are you there?']);
    await until('B\'s badge to clear', async () => (await chat.locator('.badge').count()) === 0);
    await sendText(b, 'dm 3 yes!');
    await expectBodies(a, A, 'dm ', ['dm 1 psst, Ben', 'dm 2 are you there?', 'dm 3 yes!']);
  }],

  ['1v1 pairing: request, accept, messages and a recall, leave', async ({ a, b }) => {
    await a.click(`#people li:has-text("${B}") >> button:text-is("1v1")`);
    const request = b.locator('#requests li', { hasText: `${A} wants a 1v1` });
    await request.waitFor();
    await shot(b, 'demo-pair-request.png', request);
    await request.locator('button:text-is("Accept")').click();
    await a.waitForSelector(`#conv-title:text-is("1v1 · ${B}")`);
    await b.waitForSelector(`#conv-title:text-is("1v1 · ${A}")`);
    await sendText(a, 'pair 1 hello partner');
    await sendText(a, 'pair 2 oops, wrong window');
    await expectBodies(b, B, 'pair ', ['pair 1 hello partner', 'pair 2 oops, wrong window']);
    await a.locator('#messages li', { hasText: 'pair 2 oops' }).locator('button:text-is("recall")').click();
    await until('B to show the recall', async () => (await shown(b)).some((m) => m.body === '(message recalled)'));
    await sendText(b, 'pair 3 no worries');
    await expectBodies(a, A, 'pair ', ['pair 1 hello partner', 'pair 3 no worries']);
    await shot(b, 'demo-pair-session.png');
    await b.click('#leave');
    await b.waitForSelector('#messages li.event:text-is("you left the pair session")');
    await a.waitForSelector('#messages li.event:text-is("your partner left")');
    await until('A\'s Leave button to hide', () => a.isHidden('#leave'));
    await b.locator('#chats li', { hasText: `1v1 · ${A} (ended)` }).waitFor();
  }],

  ['reload: B reloads while A sends; every message exactly once, in order', async ({ a, b }) => {
    await openRoom(a);
    await openRoom(b);
    const sent = [];
    const sending = (async () => {
      for (let i = 1; i <= 10; i++) {
        const text = `reload ${i} of 10`;
        await sendText(a, text);
        sent.push(text);
        await a.waitForTimeout(200);
      }
    })();
    await until('A to have sent 2 messages', () => sent.length >= 2);
    const before = sent.length;
    await b.reload(); // closes B's socket; B stays logged out until login() below
    await until('A to send 2 more while B is away', () => sent.length >= before + 2);
    await login(b, B); // the demo keeps its token in memory only: log in again
    const away = sent.length - before; // sent while B had no connection: B can only get them by sync
    await openRoom(b);
    await sending;
    const want = Array.from({ length: 10 }, (_, i) => `reload ${i + 1} of 10`);
    await expectBodies(a, A, 'reload ', want);
    const seen = await expectBodies(b, B, 'reload ', want);
    const seqs = seen.map((m) => m.seq);
    check(new Set(seqs).size === seqs.length, `B shows a seq twice: ${seqs}`);
    const all = await shown(b);
    check(all.every((m, i) => i === 0 || m.seq === all[i - 1].seq + 1), `B has a gap: ${all.map((m) => m.seq)}`);
    return `${before} sent before B reloaded, ${away} while B was away, ${10 - before - away} after`;
  }],

  ['picture: A attaches a PNG, B sees a loaded thumbnail', async ({ a, b }) => {
    const dataUrl = await a.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 480;
      c.height = 320;
      const g = c.getContext('2d');
      const grad = g.createLinearGradient(0, 0, 480, 320);
      grad.addColorStop(0, '#07c160');
      grad.addColorStop(1, '#165dff');
      g.fillStyle = grad;
      g.fillRect(0, 0, 480, 320);
      g.fillStyle = '#fff';
      g.font = 'bold 72px sans-serif';
      g.fillText('wxim', 140, 185);
      return c.toDataURL('image/png');
    });
    await a.setInputFiles('#file', {
      name: 'wxim.png', mimeType: 'image/png', buffer: Buffer.from(dataUrl.split(',')[1], 'base64'),
    });
    for (const [page, who] of [[b, B], [a, A]]) {
      const pic = await until(`${who} to show a loaded picture`, async () => {
        const m = (await shown(page)).find((x) => x.img);
        return m?.img.loaded ? m : { ok: false, seen: m };
      });
      check(pic.from === A && pic.img.alt === 'picture 480×320', `${who}: unexpected picture ${JSON.stringify(pic)}`);
    }
    await shot(b, 'demo-picture.png');
  }],

  ['reconnect: A goes offline, B sends and recalls meanwhile, A comes back, gets them and shows the recall', async ({ a, b, ctxA }) => {
    await sendText(b, 'gone 1 take this back');
    const keptSeq = (await expectBodies(a, A, 'gone ', ['gone 1 take this back']))
      .find((m) => m.body === 'gone 1 take this back').seq;
    // Chromium's offline emulation blocks new connections but leaves an open WebSocket alone: close it too.
    await ctxA.setOffline(true);
    const closed = await a.evaluate(() => window.__wximSockets.filter((ws) => ws.readyState === WebSocket.OPEN)
      .map((ws) => ws.close()).length);
    check(closed === 1, `A had ${closed} open sockets, expected 1`);
    await until('A\'s status to leave "online"', async () => !(await a.isVisible('#status.online')));
    const status = await a.textContent('#status');
    check(/offline|connecting/.test(status), `A's status shows "${status}"`);
    const want = ['offline 1 still there?', 'offline 2 hello?', 'offline 3 ping'];
    for (const text of want) await sendText(b, text);
    await expectBodies(b, B, 'offline ', want);
    await b.locator('#messages li', { hasText: 'gone 1 take this back' }).locator('button:text-is("recall")').click();
    await expectBodies(b, B, 'gone ', []);
    await a.waitForTimeout(1000);
    check(!(await a.isVisible('#status.online')), 'A came back online while offline');
    check(!(await shown(a)).some((m) => m.body.startsWith('offline ')), 'A got messages while offline');
    await ctxA.setOffline(false);
    await a.waitForSelector('#status.online', { timeout: RECONNECT_TIMEOUT });
    await expectBodies(a, A, 'offline ', want);
    // the recall happened while A was away: A learns of it from the stored recall notice, by sync
    await until('A to show the recall made while it was offline', async () =>
      (await shown(a)).find((m) => m.seq === keptSeq)?.body === '(message recalled)');
    await sendText(a, 'offline 4 back');
    await expectBodies(b, B, 'offline ', [...want, 'offline 4 back']);
    return `status went "${status}" then "online"`;
  }],

  ['token renewal: before expiry the demo refreshes and hands the token to its connection (auth); a refused refresh ends the session', async ({ browser }) => {
    const frames = [];
    const issued = [];
    let refreshes = 0;
    const { ctx, page: c } = await openUser(browser, `Cat ${runId}`, async (ctx, page) => {
      page.on('websocket', (ws) => {
        ws.on('framesent', (f) => frames.push(JSON.parse(f.payload)));
        ws.on('framereceived', (f) => frames.push(JSON.parse(f.payload)));
      });
      // the page is told its tokens live 3 s (they live 15 min), so it renews them while we watch
      const shortLived = tokens(issued, (body) => ({ ...body, expiresIn: 3 }));
      await ctx.route('**/api/auth/dev-login', shortLived);
      await ctx.route('**/api/auth/refresh', (route) => (++refreshes === 1 ? shortLived(route)
        : route.fulfill({ status: 401, json: { title: 'Unauthorized', status: 401 } }))); // the 2nd: as if revoked
    });
    const auth = await until('C to send auth and get authed', () =>
      frames.some((f) => f.type === 'authed') && frames.find((f) => f.type === 'auth'));
    check(auth.token === issued[1], 'auth does not carry the refreshed token');
    check(await c.evaluate(() => window.__wximSockets.length) === 1, 'C reconnected to renew its token');
    await c.waitForSelector('#login-error:text-is("Session expired, log in again.")');
    check(await c.isVisible('#login-form') && await c.isHidden('#app'), 'C does not show the login form');
    await c.waitForTimeout(1500);
    const states = await c.evaluate(() => window.__wximSockets.map((ws) => ws.readyState));
    check(states.length === 1 && states[0] >= 2, `after the refused refresh C's sockets are ${states}`);
    await ctx.close();
  }],

  ['sleep: the clock jumps 16 min; the demo drops its silent socket, refreshes (2 tries fail, the old token is refused) and reconnects', async ({ browser }) => {
    const issued = [];
    const refreshes = [];
    const connections = []; // {token, ok} per WebSocket attempt
    let slept = false;
    const { ctx, page: d } = await openUser(browser, `Dan ${runId}`, async (ctx, page) => {
      await page.clock.install();
      await ctx.route('**/api/auth/dev-login', tokens(issued));
      await ctx.route('**/api/auth/refresh', (route) => (refreshes.push(Date.now()) <= 2
        ? route.abort('internetdisconnected') : tokens(issued)(route)));
      // the socket open during the sleep hears nothing more; after it the gateway refuses tokens issued before it
      // (HTTP 401: the page sees only a close)
      await ctx.routeWebSocket(/\/ws\b/, async (ws) => {
        const token = new URL(ws.url()).searchParams.get('access_token');
        const conn = { token, ok: !slept || (issued.length > 1 && token === issued.at(-1)) };
        connections.push(conn);
        if (!conn.ok) return ws.close({ code: 1006 });
        const server = ws.connectToServer();
        ws.onClose(() => server.close());
        server.onMessage((m) => { if (!slept || conn !== connections[0]) ws.send(m); });
      });
    });
    slept = true;
    await d.clock.fastForward('16:00');
    await until('D to get a new token', () => issued.length > 1);
    await d.waitForSelector('#status.online', { timeout: RECONNECT_TIMEOUT });
    const after = connections.slice(1);
    check(refreshes.length === 3, `D refreshed ${refreshes.length} times, expected 3 (two failed, one worked)`);
    check(after.length >= 2 && after.length <= 5 && after.at(-1).ok && after.at(-1).token === issued.at(-1),
      `D's connections after the sleep: ${JSON.stringify(after.map((x) => x.ok))}`);
    await ctx.close();
    return `${after.length} connection attempt(s) after the sleep`;
  }],

  ['dead socket: pongs stop, the demo reconnects after 2 heartbeats; a rate-limited send is resent (same cmid); close 1002 stops it', async ({ browser }) => {
    const conns = [];
    const sends = [];
    const { ctx, page: e } = await openUser(browser, `Eve ${runId}`, async (ctx) => {
      await ctx.routeWebSocket(/\/ws\b/, (ws) => {
        const server = ws.connectToServer();
        const conn = { ws, frozen: false, closedByPage: false };
        conns.push(conn);
        ws.onClose(() => { conn.closedByPage = true; server.close(); });
        ws.onMessage((m) => {
          const f = JSON.parse(m);
          if (f.type === 'send' && sends.push({ cmid: f.cmid, at: Date.now() }) === 1) { // refuse the first send
            ws.send(JSON.stringify({ type: 'error', cmid: f.cmid, code: 'rate_limited', message: 'by the test',
              retry: true, retryAfter: 700 }));
          } else server.send(m);
        });
        server.onMessage((m) => {
          if (conn.frozen) return; // lost on the way
          const f = JSON.parse(m);
          if (f.type === 'welcome') f.heartbeatSeconds = 1; // 2 heartbeats: 2 s
          ws.send(JSON.stringify(f));
        });
      });
    });
    await e.waitForTimeout(1500); // a few pings and pongs
    conns[0].frozen = true;
    const frozenAt = Date.now();
    await until('E to drop the silent socket', () => conns[0].closedByPage, 5000);
    const noticed = Date.now() - frozenAt;
    check(noticed >= 500 && noticed < 3500, `E dropped the silent socket after ${noticed} ms (2 heartbeats: 2 s)`);
    await until('E to reconnect', () => conns.length === 2);
    await e.waitForSelector('#status.online', { timeout: RECONNECT_TIMEOUT });
    const text = `resend ${runId} from Eve`;
    await sendText(e, text);
    await expectBodies(e, 'E', `resend ${runId}`, [text]);
    check(sends.length === 2 && sends[1].cmid === sends[0].cmid && sends[1].at - sends[0].at >= 700,
      `E's sends: ${JSON.stringify(sends)}`);
    await conns[1].ws.close({ code: 1002 });
    await e.waitForSelector('#messages li.event:text-is("disconnected (1002); please reload and log in again")');
    await e.waitForTimeout(2500);
    check(conns.length === 2, 'E reconnected after close 1002');
    await ctx.close();
    return `silence noticed after ${noticed} ms, resent after ${sends[1].at - sends[0].at} ms`;
  }],

  ['late refresh: an answer that comes after the demo stopped waiting (15 s) is used, and its refresh token is not presented again meanwhile', async ({ browser }) => {
    const issued = [];
    const presented = []; // the refresh tokens the page presented, in order
    let release;
    const released = new Promise((resolve) => { release = resolve; });
    const { ctx, page: f } = await openUser(browser, `Fay ${runId}`, async (ctx, page) => {
      await page.clock.install();
      await ctx.route('**/api/auth/dev-login', tokens(issued, (body) => ({ ...body, expiresIn: 3 })));
      await ctx.route('**/api/auth/refresh', async (route) => {
        if (presented.push(route.request().postDataJSON().refreshToken) > 1) return tokens(issued)(route);
        const res = await route.fetch(); // it reaches auth-service, which rotates the refresh token ...
        const body = await res.json();
        issued.push(body.accessToken);
        await released; // ... but its answer is held up on the way back
        await route.fulfill({ response: res, json: body }).catch(() => {}); // an aborted request takes no answer
      });
    });
    try {
      await until('F to refresh its token', () => presented.length === 1);
      await f.clock.fastForward(16_000); // past the demo's 15 s wait for an answer
      // the connection drops; reconnecting needs a fresh token (the demo thinks its own expired): the demo must
      // wait for the refresh on its way, not present the same refresh token again
      await f.evaluate(() => window.__wximSockets.forEach((ws) => ws.close()));
      await until('F\'s status to leave "online"', async () => !(await f.isVisible('#status.online')));
      await f.waitForTimeout(1500); // the demo's first reconnect comes within 0.5 s
      check(presented.length === 1, 'F presented the same refresh token again while its first presentation could '
        + 'still answer (auth-service takes that as reuse and revokes the session)');
    } finally {
      release();
    }
    await f.waitForSelector('#status.online', { timeout: RECONNECT_TIMEOUT });
    const open = await openSocketTokens(f);
    check(open.length === 1 && open[0] === issued[1], 'F\'s connection does not carry the token of the late answer');
    check(new Set(presented).size === presented.length, 'F presented a refresh token twice');
    check(await f.isVisible('#app') && (await f.textContent('#login-error')) === '', 'F was sent to the login form');
    await ctx.close();
  }],

  ['another user logs in while a refresh is on its way: its late answer (a refusal, then a pair) is dropped', async ({ browser }) => {
    const [G, H, I] = ['Gus', 'Hal', 'Ivy'].map((name) => `${name} ${runId}`);
    const held = []; // refreshes the test answers itself: {presented, route}
    const welcomed = []; // access tokens of the page's welcomed connections
    const { ctx, page: p } = await openUser(browser, G, async (ctx, page) => {
      page.on('websocket', (ws) => ws.on('framereceived', (f) => {
        if (String(f.payload).includes('"welcome"')) welcomed.push(new URL(ws.url()).searchParams.get('access_token'));
      }));
      // Gus's and Hal's tokens are said to live 3 s, so they refresh soon; Ivy's live their real 15 min
      await ctx.route('**/api/auth/dev-login', tokens([], (body) => (body.user.nickname === I ? body
        : { ...body, expiresIn: 3 })));
      await ctx.route('**/api/auth/refresh', (route) => {
        held.push({ presented: route.request().postDataJSON().refreshToken, route });
      });
    });
    const heldFrom = (n) => until(`refresh ${n} to be presented`, () => held.length >= n && held[n - 1]);
    const refusal = await heldFrom(1); // Gus's
    await loginAgain(p, H, welcomed);
    await refusal.route.fulfill({ status: 401, json: { title: 'Unauthorized', status: 401 } }); // as if revoked
    await p.waitForTimeout(500);
    check(await p.isVisible('#app') && (await p.textContent('#login-error')) === '',
      `Gus's late refused refresh ended Hal's session: "${await p.textContent('#login-error')}"`);
    const onlyOf = async (who) => {
      const open = await openSocketTokens(p);
      check(open.every((token) => whose(token) === who), `after ${who}'s login the page has connections of ${open.map(whose)}`);
    };
    await onlyOf(H); // Gus's closed at Hal's login
    const pair = await heldFrom(2); // Hal's
    await loginAgain(p, I, welcomed);
    await onlyOf(I);
    const res = await pair.route.fetch(); // a real new pair, for Hal
    await pair.route.fulfill({ response: res });
    await p.waitForTimeout(500);
    await dropAndReconnect(p); // a reconnect shows which tokens the page holds now
    const open = await openSocketTokens(p);
    check(open.length === 1 && whose(open[0]) === I,
      `Ivy's page has ${open.length} open connection(s), of ${open.map(whose).join(', ')}`);
    check(held.length === 2 && new Set(held.map((h) => h.presented)).size === 2, 'a refresh token was presented twice');
    check(await p.isVisible('#app') && (await p.textContent('#me')) === I, 'the page does not show Ivy');
    await ctx.close();
  }],
  ['lost renewal: the refresh was carried out but its answer lost; the demo tries again 5 s later on the same connection and the retry grace answers', async ({ browser }) => {
    const frames = [];
    const issued = [];
    const refreshes = []; // [at, presented refresh token]
    const { ctx, page: g } = await openUser(browser, `Gil ${runId}`, async (ctx, page) => {
      page.on('websocket', (ws) => {
        ws.on('framesent', (f) => frames.push(JSON.parse(f.payload)));
        ws.on('framereceived', (f) => frames.push(JSON.parse(f.payload)));
      });
      const shortLived = tokens(issued, (body) => ({ ...body, expiresIn: 3 })); // renewed 2.7 s after each login/refresh
      await ctx.route('**/api/auth/dev-login', shortLived);
      await ctx.route('**/api/auth/refresh', async (route) => {
        refreshes.push([Date.now(), route.request().postDataJSON().refreshToken]);
        if (refreshes.length > 1) return shortLived(route);
        await route.fetch(); // auth-service rotates the token...
        await route.abort('internetdisconnected'); // ...and the answer is lost on the way
      });
    });
    const auth = await until('G to retry its renewal and hand the new token to its connection', () =>
      frames.some((f) => f.type === 'authed') && frames.find((f) => f.type === 'auth'), 25000);
    const waited = refreshes[1][0] - refreshes[0][0];
    check(refreshes[1][1] === refreshes[0][1], 'the retry did not present the same refresh token');
    check(waited >= 4000 && waited < 30000, `G retried after ${waited} ms (5 s, within the 30 s grace)`);
    check(auth.token === issued[1], 'auth does not carry the retry\'s token');
    check(await g.evaluate(() => window.__wximSockets.length) === 1, 'G reconnected to renew its token');
    check(await g.isVisible('#app'), 'G was logged out');
    await ctx.close();
    return `retried after ${waited} ms`;
  }],
];

async function main() {
  mkdirSync(shotDir, { recursive: true });
  try {
    const res = await fetch(`${base}/`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) fail(`${base}/ answered ${res.status}: is wxim (with the web demo) running there?`);
  } catch (err) {
    fail(`cannot reach ${base}/ (${err.cause?.code || err.message}): start wxim first (see README.md)`);
  }
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
  const pages = { browser };
  let failed = 0;
  try {
    for (const [key, who] of [['b', B], ['a', A]]) { // B first: A then sees B among "Online now" at once
      const { ctx, page } = await openUser(browser, who);
      pages[key] = page;
      pages['ctx' + key.toUpperCase()] = ctx;
    }
    console.log(`wxim browser e2e against ${base}${demoDir ? ` (demo from ${demoDir})` : ''} (users "${A}", "${B}", room "${ROOM}")`);
    for (const [i, [name, run]] of scenarios.entries()) {
      const started = Date.now();
      try {
        const note = await run(pages);
        await noErrorEvents(pages.a, A);
        await noErrorEvents(pages.b, B);
        console.log(`  ok   ${i + 1}. ${name} (${Date.now() - started} ms)${note ? ` [${note}]` : ''}`);
      } catch (err) {
        failed = scenarios.length - i;
        console.log(`  FAIL ${i + 1}. ${name} (${Date.now() - started} ms)\n       ${err.message.split('\n')[0]}`);
        mkdirSync(failDir, { recursive: true });
        await pages.a.screenshot({ path: join(failDir, 'a.png') }).catch(() => {});
        await pages.b.screenshot({ path: join(failDir, 'b.png') }).catch(() => {});
        console.log(`       screenshots of both pages: ${failDir}; later scenarios not run`);
        console.log(`       last browser events:\n         ${trace.slice(-30).join('\n         ')}`);
        break;
      }
    }
  } finally {
    await browser.close();
  }
  if (pageErrors.length) {
    console.log(`  FAIL uncaught errors in the page:\n       ${pageErrors.join('\n       ')}`);
    failed++;
  }
  clearTimeout(watchdog);
  console.log(failed ? `FAILED (${failed} scenario(s) failed or not run)` : `passed: ${scenarios.length} scenarios; screenshots in ${shotDir}`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  if (trace.length) console.error(`last browser events:\n  ${trace.slice(-30).join('\n  ')}`);
  fail(err.stack || err.message);
});
