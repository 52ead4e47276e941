// One conversation (room r:, direct d:, pair p:). Messages come from the newest history page plus the SDK's
// `message` events (seq order, missed ones filled in by its resume), merged by seq. Sends text, pictures
// (wx.chooseMedia -> uploadMedia -> sendImage) and voice clips (RecorderManager -> uploadMedia -> sendAudio).
// Query: conv (a conversation id) or to (a user id: the first message opens the direct conversation), name.
const { appOf, wxCall, errorText, toast } = require('../../lib/runtime');
const { convKind, toView, pendingView, merge } = require('../../lib/messages');

const HISTORY_PAGE = 30;
const TYPING_EVERY_MS = 2000; // the server allows one typing event per 2 s
const TYPING_SHOWN_MS = 3000;
const MIN_VOICE_MS = 800;
// What the server accepts for voice: MP3, AAC (ADTS), M4A, WAV. 'aac' is RecorderManager's ADTS AAC.
const RECORD_OPTIONS = { duration: 60000, format: 'aac', sampleRate: 16000, numberOfChannels: 1, encodeBitRate: 48000 };

// wx.getRecorderManager() is one object for the whole app: install its handlers once and pass the result to the
// chat page that started the recording.
const recorders = new WeakMap();
function recorderFor(wx) {
  const recorder = wx.getRecorderManager();
  if (!recorders.has(recorder)) {
    const slot = { page: null };
    recorder.onStop((res) => {
      const page = slot.page;
      slot.page = null;
      if (page) page.onRecorderStop(res);
    });
    recorder.onError((e) => {
      const page = slot.page;
      slot.page = null;
      if (page) page.onRecorderError(e);
    });
    recorders.set(recorder, slot);
  }
  return { recorder, slot: recorders.get(recorder) };
}

const def = {
  data: {
    conv: '', to: '', name: '', kind: 'room', messages: [], draft: '', connection: 'idle', typingText: '',
    recording: false, ended: false, canType: false, playing: '', lastKey: '',
  },

  onLoad(query = {}) {
    const app = appOf(this);
    const { client, wx } = app;
    const conv = query.conv ? decodeURIComponent(query.conv) : '';
    const to = query.to ? decodeURIComponent(query.to) : '';
    const name = decodeURIComponent(query.name || conv || to);
    const kind = convKind(conv);
    this._list = [];
    this._lastTyping = 0;
    this.setData({ conv, to, name, kind, canType: kind !== 'room', connection: client.state });
    if (wx.setNavigationBarTitle) wx.setNavigationBarTitle({ title: name });

    this._audio = wx.createInnerAudioContext();
    this._audio.onEnded(() => this.setData({ playing: '' }));
    this._audio.onStop(() => this.setData({ playing: '' }));
    this._audio.onError(() => {
      this.setData({ playing: '' });
      toast(wx, 'Cannot play this clip');
    });

    this._off = [
      client.on('message', (m) => { if (m.conv === this.data.conv) this.show([toView(m, client, this.myId())]); }),
      client.on('recalled', (r) => this.markRecalled(r.conv, r.seq)),
      client.on('typing', (t) => this.onTyping(t)),
      client.on('state', ({ state }) => this.setData({ connection: state })),
      client.on('pairEnded', (p) => { if (p.conv === this.data.conv) this.setData({ ended: true }); }),
      client.on('left', (l) => { if (l.conv === this.data.conv) this.setData({ ended: true }); }), // on another device
    ];
    return conv ? this.loadHistory() : Promise.resolve(); // returned for the tests; WeChat ignores it
  },

  onUnload() {
    (this._off || []).forEach((off) => off());
    clearTimeout(this._typingTimer);
    if (this._audio) this._audio.destroy();
    this.markRead();
  },

  myId() {
    const { user } = appOf(this).client;
    return user && user.id;
  },

  async loadHistory() {
    const { client, wx } = appOf(this);
    const { conv } = this.data;
    try {
      const page = await client.history(conv, { limit: HISTORY_PAGE });
      // recall notices are not shown: the server already marks their targets recalled in the page
      this.show(page.messages.filter((m) => m.kind !== 'recall').map((m) => toView(m, client, this.myId())));
      if (this.data.kind === 'pair') {
        const list = await client.conversationList();
        const info = list.find((c) => c.conv === conv);
        if (info && info.active === false) this.setData({ ended: true });
      }
      this.markRead();
    } catch (e) {
      toast(wx, `History: ${errorText(e)}`);
    }
  },

  markRead() {
    const { conv } = this.data;
    if (conv && appOf(this).client.lastSeq(conv) > 0) appOf(this).client.markRead(conv).catch(() => {});
  },

  /** Merges message views into the list and renders it; media links that expired are fetched again. */
  show(views) {
    this._list = merge(this._list, views);
    const last = this._list[this._list.length - 1];
    this.setData({ messages: this._list, lastKey: last ? last.key : '' });
    const soon = Date.now() + 30000;
    for (const v of views) {
      if (v.mediaId && v.expiresAt && v.expiresAt < soon) this.refreshLinks(v);
    }
  },

  async refreshLinks(v) {
    try {
      const links = await appOf(this).client.mediaUrl(v.mediaId, this.data.conv);
      const fresh = { ...v, url: links.url, thumb: links.thumbUrl || links.url, expiresAt: links.expiresAt };
      this.show([fresh]);
    } catch (e) { /* gone (deleted or not ours to see): keep the old link */ }
  },

  markRecalled(conv, seq) {
    if (conv !== this.data.conv) return;
    const v = this._list.find((x) => x.seq === seq);
    if (v) this.show([{ ...v, recalled: true, body: '', thumb: '', url: '', mediaId: '' }]);
  },

  onTyping(t) {
    if (t.conv !== this.data.conv || t.user.id === this.myId()) return;
    this.setData({ typingText: `${t.user.nickname || t.user.id} is typing…` });
    clearTimeout(this._typingTimer);
    this._typingTimer = setTimeout(() => this.setData({ typingText: '' }), TYPING_SHOWN_MS);
  },

  onInput(e) {
    this.setData({ draft: e.detail.value });
    const { conv, canType, ended } = this.data;
    const now = Date.now();
    if (conv && canType && !ended && e.detail.value && now - this._lastTyping >= TYPING_EVERY_MS) {
      this._lastTyping = now;
      appOf(this).client.typing(conv); // rooms have no typing (bad_request), so only direct and pair
    }
  },

  target() {
    return this.data.conv || this.data.to;
  },

  /**
   * Sends through the SDK outbox (kept until acked, resent after a reconnect with the same cmid) and shows the
   * message as pending until its stored copy (with seq) arrives. The first message to a user id learns the
   * direct conversation from the ack.
   */
  async track(promise, fields) {
    this.show([pendingView(promise.cmid, fields)]);
    try {
      const ack = await promise;
      if (!this.data.conv) {
        this.setData({ conv: ack.conv, kind: convKind(ack.conv), canType: true });
        await this.loadHistory();
      }
      return ack;
    } catch (e) {
      this._list = this._list.filter((v) => v.cmid !== promise.cmid);
      this.show([]);
      toast(appOf(this).wx, `Not sent: ${errorText(e)}`);
      return null;
    }
  },

  onSend() {
    const body = this.data.draft.trim();
    if (!body || this.data.ended) return Promise.resolve(null);
    this.setData({ draft: '' });
    return this.track(appOf(this).client.sendText(this.target(), body), { body });
  },

  async onChooseImage() {
    const { client, wx } = appOf(this);
    let file;
    try {
      const res = await wxCall(wx, 'chooseMedia', { count: 1, mediaType: ['image'], sourceType: ['album', 'camera'], sizeType: ['compressed'] });
      file = res.tempFiles[0];
    } catch (e) {
      return null; // cancelled
    }
    wx.showLoading({ title: 'Uploading' });
    let upload;
    try {
      upload = await client.uploadMedia(file.tempFilePath);
    } catch (e) {
      wx.hideLoading();
      toast(wx, e.status === 413 ? 'Picture too large' : e.status === 415 ? 'Not a picture the server takes' : `Upload failed: ${errorText(e)}`);
      return null;
    }
    wx.hideLoading();
    return this.track(client.sendImage(this.target(), upload.id), { kind: 'image', thumb: file.tempFilePath, url: file.tempFilePath });
  },

  onRecordStart() {
    if (this.data.recording || this.data.ended) return;
    const { recorder, slot } = recorderFor(appOf(this).wx);
    slot.page = this;
    this.setData({ recording: true });
    recorder.start(RECORD_OPTIONS);
  },

  onRecordEnd() {
    if (!this.data.recording) return;
    recorderFor(appOf(this).wx).recorder.stop();
  },

  /** RecorderManager onStop: {tempFilePath, duration (ms), fileSize}. */
  async onRecorderStop(res) {
    const { client, wx } = appOf(this);
    this.setData({ recording: false });
    if (!res || !res.tempFilePath || res.duration < MIN_VOICE_MS) {
      toast(wx, 'Too short');
      return null;
    }
    let upload;
    try {
      upload = await client.uploadMedia(res.tempFilePath);
    } catch (e) {
      toast(wx, `Upload failed: ${errorText(e)}`);
      return null;
    }
    return this.track(client.sendAudio(this.target(), upload.id, res.duration), { kind: 'audio', durationText: `${Math.round(res.duration / 1000)}"` });
  },

  onRecorderError(e) {
    this.setData({ recording: false });
    toast(appOf(this).wx, (e && e.errMsg) || 'Recording failed (microphone permission?)');
  },

  onPlay(e) {
    const { key } = e.currentTarget.dataset;
    const v = this._list.find((x) => x.key === key);
    if (!v || !v.url) return;
    if (this.data.playing === key) {
      this._audio.stop();
      this.setData({ playing: '' });
      return;
    }
    this._audio.src = v.url;
    this._audio.play();
    this.setData({ playing: key });
  },

  onPreview(e) {
    const { key } = e.currentTarget.dataset;
    const v = this._list.find((x) => x.key === key);
    if (v && v.url) appOf(this).wx.previewImage({ urls: [v.url], current: v.url });
  },

  async onLongPress(e) {
    const { key } = e.currentTarget.dataset;
    const v = this._list.find((x) => x.key === key);
    if (!v || !v.mine || v.pending || v.recalled) return null;
    const { wx } = appOf(this);
    try {
      const { tapIndex } = await wxCall(wx, 'showActionSheet', { itemList: ['Recall'] });
      if (tapIndex !== 0) return null;
    } catch (err) {
      return null; // dismissed
    }
    return this.recall(v.seq);
  },

  async recall(seq) {
    try {
      const r = await appOf(this).client.recall(this.data.conv, seq);
      this.markRecalled(r.conv, r.seq);
      return r;
    } catch (e) {
      toast(appOf(this).wx, e.code === 'expired' ? 'Too late to recall (2 minutes)' : `Recall failed: ${errorText(e)}`);
      return null;
    }
  },

  async onLeavePair() {
    try {
      await appOf(this).client.pairLeave(this.data.conv);
      this.setData({ ended: true });
    } catch (e) {
      toast(appOf(this).wx, `Leave failed: ${errorText(e)}`);
    }
  },
};

if (typeof Page === 'function') Page(def);
module.exports = def;
