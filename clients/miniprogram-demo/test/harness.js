// Runs the demo's App and Page definitions in Node: an app per fake `wx`, pages as plain objects whose setData
// records the state the WXML would render. Not the WeChat framework: no rendering, no real lifecycle ordering.
const path = require('node:path');
const { createWx } = require('./wx-shim');
const { createAppDef } = require('../miniprogram/app');

const PAGES = path.join(__dirname, '..', 'miniprogram', 'pages');
const TIMEOUT_MS = 5000;

/** An app instance (what getApp() returns in WeChat) with its own shim `wx` and SDK client. */
function startApp(server, { wx = createWx(), clientOptions = {} } = {}) {
  const app = createAppDef(wx, {
    baseUrl: server.url,
    clientOptions: { backoffBaseMs: 20, backoffCapMs: 200, requestTimeoutMs: 4000, ...clientOptions },
  });
  if (app.onLaunch) app.onLaunch({});
  return app;
}

/** Sets a path like `rooms[2].online` or `a.b` on an object, as Page.setData does. */
function setPath(target, key, value) {
  const parts = key.replace(/\[(\d+)\]/g, '.$1').split('.');
  let o = target;
  for (const p of parts.slice(0, -1)) {
    if (o[p] === undefined) o[p] = {};
    o = o[p];
  }
  o[parts[parts.length - 1]] = value;
}

/** A page instance of `name` (login, rooms, chat, pair) for `app`; onLoad is not called yet. */
function newPage(name, app) {
  const def = require(path.join(PAGES, name, 'index.js'));
  const page = { $app: app, route: `pages/${name}/index`, data: JSON.parse(JSON.stringify(def.data || {})), updates: 0 };
  for (const [k, v] of Object.entries(def)) if (k !== 'data') page[k] = v;
  page.setData = (patch, cb) => {
    // setData copies the data it is given (what the render layer gets is a snapshot)
    for (const [k, v] of Object.entries(JSON.parse(JSON.stringify(patch)))) setPath(page.data, k, v);
    page.updates++;
    if (cb) cb();
  };
  return page;
}

/** Makes a page and runs onLoad(query) and onShow(), awaiting what they return. */
async function openPage(name, app, query = {}) {
  const page = newPage(name, app);
  if (page.onLoad) await page.onLoad(query);
  if (page.onShow) await page.onShow();
  return page;
}

/** The query object of a navigation url like /pages/chat/index?conv=r%3Alobby&name=Lobby (still encoded). */
function queryOf(url) {
  const q = {};
  for (const pair of (url.split('?')[1] || '').split('&').filter(Boolean)) {
    const [k, v] = pair.split('=');
    q[k] = v;
  }
  return q;
}

async function waitFor(check, what = 'condition', ms = TIMEOUT_MS) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const online = (app) => waitFor(() => app.client.state === 'online', 'client online');

/** Logs in through the login page (dev login by nickname) and waits until the socket is up. */
async function devLogin(app, nickname) {
  const login = await openPage('login', app);
  login.onNickname({ detail: { value: nickname } });
  await login.onDevLogin();
  await online(app);
  return login;
}

/** A tap event as WXML delivers it: dataset on currentTarget. */
const tap = (dataset) => ({ currentTarget: { dataset }, target: { dataset } });

module.exports = { startApp, newPage, openPage, queryOf, waitFor, online, devLogin, tap, createWx, TIMEOUT_MS };
