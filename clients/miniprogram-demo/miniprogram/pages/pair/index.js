// 1v1 pairing (protocol section 6): ask a user by id and wait; see requests waiting for you and accept or decline;
// open or leave the running session. Events can be missed while offline, so the lists are reloaded after every
// reconnect (welcome): pairPending() and the conversation list (whether a pair session is still active).
const { appOf, errorText, toast } = require('../../lib/runtime');

// busy: one of the two started a 1v1 session (possibly you: it comes just before your own pairStarted, which clears it)
const REASONS = {
  declined: 'declined your request', expired: 'did not answer in time', busy: 'a 1v1 session started',
  cancelled: 'request withdrawn',
};

function person(u) {
  return { id: u.id, name: u.nickname || u.id };
}

const def = {
  data: { me: null, target: '', waiting: null, pending: [], active: null, notice: '', connection: 'idle' },

  onLoad() {
    const { client } = appOf(this);
    this.setData({ me: client.user, connection: client.state });
    this._off = [
      client.on('state', ({ state }) => this.setData({ connection: state })),
      client.on('welcome', () => this.reload()),
      client.on('pairRequested', (f) => this.addPending(f.from, f.expiresAt)),
      client.on('pairRequestSent', (f) => this.setData({ waiting: { ...person(f.to), expiresAt: f.expiresAt } })),
      client.on('pairRequestClosed', (f) => this.onClosed(f)),
      client.on('pairStarted', (f) => this.onStarted(f)),
      client.on('pairEnded', (f) => this.onEnded(f)),
    ];
  },

  onUnload() {
    (this._off || []).forEach((off) => off());
  },

  onShow() {
    return this.reload();
  },

  async reload() {
    const { client } = appOf(this);
    try {
      const [requests, list] = await Promise.all([client.pairPending(), client.conversationList()]);
      const running = list.find((c) => c.kind === 'pair' && c.active);
      this.setData({
        pending: requests.map((r) => ({ ...person(r.from), expiresAt: r.expiresAt })),
        active: running ? { conv: running.conv, name: running.name } : null,
      });
    } catch (e) {
      toast(appOf(this).wx, `Could not load: ${errorText(e)}`);
    }
  },

  addPending(from, expiresAt) {
    const rest = this.data.pending.filter((p) => p.id !== from.id);
    this.setData({ pending: rest.concat([{ ...person(from), expiresAt }]) });
  },

  onClosed(f) {
    const me = appOf(this).client.user.id;
    if (f.from === me) { // our request
      if (this.data.waiting && this.data.waiting.id === f.to) {
        const name = this.data.waiting.name;
        this.setData({ waiting: null, notice: f.reason === 'busy' ? `Request to ${name} closed: ${REASONS.busy}`
          : `${name} ${REASONS[f.reason] || f.reason}` });
      }
    } else {
      this.setData({ pending: this.data.pending.filter((p) => p.id !== f.from) });
    }
  },

  onStarted(f) {
    // the peer's request is answered (also one kept after an accept answered unavailable: the server had started it)
    if (this.data.pending.some((p) => p.id === f.peer.id)) {
      this.setData({ pending: this.data.pending.filter((p) => p.id !== f.peer.id) });
    }
    // told again (protocol.md): opened once (a session the list showed first is still opened by its first pairStarted)
    this._started = this._started || new Set();
    if (this._started.has(f.conv)) return;
    this._started.add(f.conv);
    this.setData({ waiting: null, notice: '', active: { conv: f.conv, name: f.peer.nickname || f.peer.id } });
    this.openChat();
  },

  onEnded(f) {
    if (this.data.active && this.data.active.conv === f.conv) {
      const why = { left: 'You left the session', peer_left: 'Your partner left', peer_offline: 'Your partner went offline' };
      this.setData({ active: null, notice: why[f.reason] || 'Session ended' });
    }
  },

  onTarget(e) {
    this.setData({ target: e.detail.value });
  },

  async onRequest() {
    const to = this.data.target.trim();
    if (!to) return null;
    try {
      const sent = await appOf(this).client.pairRequest(to);
      this.setData({ target: '', notice: '', waiting: { ...person(sent.to), expiresAt: sent.expiresAt } });
      return sent;
    } catch (e) {
      const text = { not_found: 'No such user (they must have connected once)', conflict: 'One of you is already in a 1v1 session' }[e.code];
      this.setData({ notice: text || `Request failed: ${errorText(e)}` });
      return null;
    }
  },

  async onCancel() {
    const { waiting } = this.data;
    if (!waiting) return;
    try {
      await appOf(this).client.pairCancel(waiting.id);
    } catch (e) { /* already gone */ }
    this.setData({ waiting: null });
  },

  async onAccept(e) {
    const { id } = e.currentTarget.dataset;
    try {
      const started = await appOf(this).client.pairAccept(id);
      this.setData({ pending: this.data.pending.filter((p) => p.id !== id) });
      this.onStarted(started);
      return started;
    } catch (err) {
      // a retryable error (unavailable, timeout) keeps the request: accepting again starts the session, or finds the
      // one this attempt may have started already (the server answers it as started)
      const keep = Boolean(err && err.retry);
      this.setData({
        pending: keep ? this.data.pending : this.data.pending.filter((p) => p.id !== id),
        notice: `Could not accept: ${errorText(err)}${keep ? ' (try again)' : ''}`,
      });
      return null;
    }
  },

  async onDecline(e) {
    const { id } = e.currentTarget.dataset;
    try {
      await appOf(this).client.pairDecline(id);
    } catch (err) { /* expired meanwhile */ }
    this.setData({ pending: this.data.pending.filter((p) => p.id !== id) });
  },

  openChat() {
    const { active } = this.data;
    if (!active) return;
    appOf(this).wx.navigateTo({
      url: `/pages/chat/index?conv=${encodeURIComponent(active.conv)}&name=${encodeURIComponent(`1v1 ${active.name}`)}`,
    });
  },

  async onLeave() {
    const { active } = this.data;
    if (!active) return null;
    try {
      const ended = await appOf(this).client.pairLeave(active.conv);
      this.setData({ active: null, notice: 'You left the session' });
      return ended;
    } catch (e) {
      toast(appOf(this).wx, `Leave failed: ${errorText(e)}`);
      return null;
    }
  },
};

if (typeof Page === 'function') Page(def);
module.exports = def;
