// Rooms: every room with its online count (rooms command), your direct and pair conversations with unread counts
// (GET /api/chat/conversations), create / join a room, start a direct message, go to pairing.
const { appOf, errorText, toast } = require('../../lib/runtime');

function preview(m) {
  if (!m) return '';
  if (m.recalled) return '(recalled)';
  if (m.kind === 'recall') return `${(m.from && (m.from.nickname || m.from.id)) || 'Someone'} recalled a message`;
  if (m.kind === 'image') return '[picture]';
  if (m.kind === 'audio') return '[voice]';
  return (m.body || '').slice(0, 40);
}

const def = {
  data: { me: null, rooms: [], convs: [], newRoom: '', dmTo: '', connection: 'idle', loading: false },

  onLoad() {
    const { client } = appOf(this);
    this.setData({ me: client.user, connection: client.state });
    const counts = (f) => this.updateOnline(f.conv, f.online);
    this._off = [
      client.on('state', ({ state }) => this.setData({ connection: state })),
      client.on('welcome', () => this.refresh()), // (re)connected: counts and lists may have changed
      client.on('memberJoined', counts),
      client.on('memberLeft', counts),
      client.on('presence', counts),
      client.on('online', counts), // crowded rooms: counts only
      client.on('message', (m) => this.onMessage(m)),
      client.on('recalled', () => this.onMessage()), // the list's last message may be the recall notice now
      client.on('joined', () => this.refresh()), // a room joined, created or left on another device of yours
      client.on('left', () => this.refresh()),
    ];
  },

  onUnload() {
    (this._off || []).forEach((off) => off());
    clearTimeout(this._reload);
  },

  onShow() {
    return this.refresh();
  },

  async onPullDownRefresh() {
    await this.refresh();
    appOf(this).wx.stopPullDownRefresh();
  },

  async refresh() {
    const { client } = appOf(this);
    this.setData({ loading: true });
    try {
      const [rooms, list] = await Promise.all([client.rooms(), client.conversationList()]);
      const unread = new Map(list.map((c) => [c.conv, c.unread]));
      this.setData({
        rooms: rooms.map((r) => ({ conv: r.conv, name: r.name, online: r.online, member: r.member, unread: unread.get(r.conv) || 0 })),
        convs: list.filter((c) => c.kind !== 'room').map((c) => ({
          conv: c.conv, kind: c.kind, name: c.name, unread: c.unread, active: c.active !== false,
          last: preview(c.lastMessage),
        })),
        loading: false,
      });
    } catch (e) {
      this.setData({ loading: false });
      toast(appOf(this).wx, `Could not load: ${errorText(e)}`);
    }
  },

  updateOnline(conv, online) {
    if (typeof online !== 'number') return;
    const i = this.data.rooms.findIndex((r) => r.conv === conv);
    if (i >= 0) this.setData({ [`rooms[${i}].online`]: online });
  },

  onMessage() {
    // Unread counts live on the server (read cursors shared by all devices): reload the lists, at most every 1 s.
    if (this._reload) return;
    this._reload = setTimeout(() => {
      this._reload = null;
      this.refresh();
    }, 1000);
  },

  onNewRoom(e) {
    this.setData({ newRoom: e.detail.value });
  },

  onDmTo(e) {
    this.setData({ dmTo: e.detail.value });
  },

  async onCreate() {
    const name = this.data.newRoom.trim();
    if (!name) return;
    try {
      const joined = await appOf(this).client.createRoom(name);
      this.setData({ newRoom: '' });
      this.open(joined.conv, joined.name);
    } catch (e) {
      toast(appOf(this).wx, `Create failed: ${errorText(e)}`);
    }
  },

  async onRoomTap(e) {
    const { conv, name, member } = e.currentTarget.dataset;
    if (!member) {
      try {
        await appOf(this).client.join(conv);
      } catch (err) {
        toast(appOf(this).wx, `Join failed: ${errorText(err)}`);
        return;
      }
    }
    this.open(conv, name);
  },

  onConvTap(e) {
    const { conv, name } = e.currentTarget.dataset;
    this.open(conv, name);
  },

  onDirect() {
    const to = this.data.dmTo.trim();
    if (!to) return;
    this.setData({ dmTo: '' });
    appOf(this).wx.navigateTo({ url: `/pages/chat/index?to=${encodeURIComponent(to)}&name=${encodeURIComponent(to)}` });
  },

  onPair() {
    appOf(this).wx.navigateTo({ url: '/pages/pair/index' });
  },

  onCopyId() {
    const { client, wx } = appOf(this);
    wx.setClipboardData({ data: client.user.id });
  },

  async onLogout() {
    const app = appOf(this);
    await app.logout();
    app.wx.reLaunch({ url: '/pages/login/index' });
  },

  open(conv, name) {
    appOf(this).wx.navigateTo({ url: `/pages/chat/index?conv=${encodeURIComponent(conv)}&name=${encodeURIComponent(name || conv)}` });
  },
};

if (typeof Page === 'function') Page(def);
module.exports = def;
