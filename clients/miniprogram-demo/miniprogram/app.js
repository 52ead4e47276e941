// The app: one @wxim/client for the whole mini-program (one socket: WeChat allows at most 5 per app, all
// conversations share this one). Pages reach it with getApp().client.
// createAppDef(wx) builds the App definition so Node tests can make several apps, each with its own fake `wx`;
// in WeChat the last line registers it with the real `wx`.
const { createClient, wxTransport, wxHttp, wxStorage, wxRandom, wakeOnWx } = require('@wxim/client');
const config = require('./config');

const SESSION_KEY = 'wxim-demo:session';

/**
 * @param {object} wx the WeChat API object (the global `wx` in the mini-program, a shim in tests)
 * @param {{baseUrl?: string, clientOptions?: object}} [options] overrides for tests
 */
function createAppDef(wx, options = {}) {
  const baseUrl = options.baseUrl || config.baseUrl;
  const client = createClient({
    baseUrl,
    transport: wxTransport(wx), // wx.connectSocket with the bearer token in the Authorization header
    http: wxHttp(wx), // wx.request and wx.uploadFile
    storage: wxStorage(wx), // outbox and read positions survive an app restart
    randomBytes: wxRandom(wx), // only used in encrypted mode (secure: true + forge), harmless otherwise
    ...options.clientOptions,
  });
  // Sockets die a few seconds after the app goes to the background: reconnect at once on wx.onAppShow and when the
  // network comes back (instead of waiting out the backoff); the SDK then resumes every conversation by seq.
  const unwireWake = wakeOnWx(client, wx);

  // Keep the token pair so a restarted app does not need to log in again (the SDK leaves this to the app).
  client.on('session', (pair) => {
    wx.setStorageSync(SESSION_KEY, JSON.stringify({ pair, savedAt: Date.now() }));
  });
  // 4500/4501/4503, refused refresh: this session is over, back to the login page.
  client.on('stopped', () => {
    wx.removeStorageSync(SESSION_KEY);
    wx.reLaunch({ url: '/pages/login/index' });
  });

  return {
    client,
    wx,
    config: { ...config, baseUrl },
    unwireWake,

    /** Uses the stored token pair, if any, and connects. Returns whether a session was there. */
    restoreSession() {
      if (client.user) return true;
      const raw = wx.getStorageSync(SESSION_KEY);
      if (!raw) return false;
      try {
        const { pair, savedAt } = JSON.parse(raw);
        const left = (pair.expiresIn || 900) - (Date.now() - savedAt) / 1000;
        // An expired access token is fine: the SDK refreshes before connecting when it is (nearly) stale.
        client.setSession({ ...pair, expiresIn: Math.max(1, Math.floor(left)) });
      } catch (e) {
        wx.removeStorageSync(SESSION_KEY);
        return false;
      }
      client.connect();
      return true;
    },

    /** After devLogin / wechatLogin: start the socket (it stays up, and reconnects, for the app's life). */
    startSession() {
      client.connect();
    },

    async logout() {
      try {
        await client.logout();
      } catch (e) {
        client.close(); // offline or already revoked: still forget the session here
      }
      wx.removeStorageSync(SESSION_KEY);
    },
  };
}

if (typeof App === 'function' && typeof wx !== 'undefined') App(createAppDef(wx));

module.exports = { createAppDef, SESSION_KEY };
