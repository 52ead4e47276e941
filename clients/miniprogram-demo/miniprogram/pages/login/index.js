// Login: a nickname dev login (local servers only) and WeChat login (wx.login -> client.wechatLogin(code)).
const { appOf, wxCall, errorText } = require('../../lib/runtime');

const def = {
  data: { nickname: '', busy: false, error: '', devLogin: true },

  onLoad() {
    const app = appOf(this);
    this.setData({ devLogin: app.config.devLogin !== false });
    if (app.restoreSession()) this.goToRooms();
  },

  onNickname(e) {
    this.setData({ nickname: e.detail.value });
  },

  async onDevLogin() {
    const nickname = this.data.nickname.trim();
    if (!nickname) {
      this.setData({ error: 'Enter a nickname' });
      return;
    }
    await this.login(() => appOf(this).client.devLogin(nickname));
  },

  async onWechatLogin() {
    const app = appOf(this);
    await this.login(async () => {
      // A code works once. On a retryable answer (WeChat busy or quota) get a new code and try once more.
      for (let attempt = 0; ; attempt++) {
        const { code } = await wxCall(app.wx, 'login');
        try {
          return await app.client.wechatLogin(code);
        } catch (e) {
          if (!e.retryable || attempt >= 1) throw e;
          const wait = Math.min(5, Number(e.retryAfter) || 1);
          await new Promise((r) => setTimeout(r, wait * 1000));
        }
      }
    });
  },

  async login(doLogin) {
    if (this.data.busy) return;
    this.setData({ busy: true, error: '' });
    try {
      await doLogin();
      appOf(this).startSession();
      this.setData({ busy: false });
      this.goToRooms();
    } catch (e) {
      const text = e.status === 404 ? 'This login is not enabled on the server' : `Login failed: ${errorText(e)}`;
      this.setData({ busy: false, error: text });
    }
  },

  goToRooms() {
    appOf(this).wx.redirectTo({ url: '/pages/rooms/index' });
  },
};

if (typeof Page === 'function') Page(def);
module.exports = def;
