// A fake `wx` for Node: what the demo pages and @wxim/client call, backed by real I/O where it matters.
// - connectSocket: a real WebSocket (`ws`) with the given header, wrapped as a SocketTask; counts open sockets
//   (WeChat allows 5) and refuses close codes WeChat refuses (only 1000 and 3000-4999).
// - request / uploadFile: real HTTP (fetch; uploadFile sends real multipart/form-data from the shim's temp files).
// - chooseMedia / getRecorderManager: hand out temp files the test put there (picture bytes, a recording + duration).
// - createInnerAudioContext: play() really fetches src (so a broken signed link fails the test).
// - onAppShow / onAppHide / onNetworkStatusChange: enterBackground() (closes every socket, as WeChat does a few
//   seconds after the app is hidden) and enterForeground() / networkBack() fire the registered callbacks.
// It does not emulate the WeChat runtime (rendering, WXML, lifecycles of the real framework).
const crypto = require('node:crypto');
const WebSocket = require('ws');

function createWx({ openid = 'openid-1', storage = new Map() } = {}) {
  let tmp = 0;
  const handlers = { show: new Set(), hide: new Set(), net: new Set() };
  const files = new Map(); // temp path -> Buffer
  const tempPath = (ext) => `wxfile://tmp_${++tmp}.${ext}`;
  const ok = (opts, res) => { if (opts.success) opts.success(res); if (opts.complete) opts.complete(res); };
  const fail = (opts, errMsg) => { if (opts.fail) opts.fail({ errMsg }); if (opts.complete) opts.complete({ errMsg }); };

  const wx = {
    storage,
    files,
    sockets: [], // every SocketTask made
    openSockets: 0,
    maxOpenSockets: 0,
    navigations: [], // {type, url}
    toasts: [],
    previews: [],
    audio: [], // InnerAudioContexts
    clipboard: null,
    loginCodes: 0,
    chosen: [], // temp files the next chooseMedia calls return: {bytes, ext}
    nextRecording: null, // {bytes, duration}: what RecorderManager.stop() produces
    actionSheetTapIndex: 0, // null: the user dismisses it

    // ---- network ----
    connectSocket(opts) {
      const { url, header } = opts;
      const ws = new WebSocket(url, { headers: header });
      const task = {
        url, header, ws, closeCalls: [],
        onOpen: (fn) => ws.on('open', () => fn({ header: {} })),
        onMessage: (fn) => ws.on('message', (data, binary) => fn({ data: binary ? data.buffer : data.toString() })),
        onClose: (fn) => ws.on('close', (code, reason) => fn({ code, reason: reason.toString() })),
        onError: (fn) => ws.on('error', (e) => fn({ errMsg: e.message })),
        send: (o) => {
          if (ws.readyState !== WebSocket.OPEN) return fail(o, 'sendSocketMessage:fail socket is not connected');
          ws.send(o.data);
          return ok(o, {});
        },
        close: (o = {}) => {
          task.closeCalls.push(o);
          const code = o.code === undefined ? 1000 : o.code;
          if (code !== 1000 && (code < 3000 || code > 4999)) return fail(o, `closeSocket:fail invalid code ${code}`);
          ws.close(code, o.reason);
          return ok(o, {});
        },
      };
      ws.on('open', () => {
        wx.openSockets++;
        wx.maxOpenSockets = Math.max(wx.maxOpenSockets, wx.openSockets);
        ws.once('close', () => { wx.openSockets--; });
      });
      ws.on('error', () => {}); // reported through onError; never crash the test process
      wx.sockets.push(task);
      if (wx.openSockets >= 5) setImmediate(() => fail(opts, 'connectSocket:fail exceed max task count'));
      return task;
    },

    request(opts) {
      const method = opts.method || 'GET';
      const hasBody = opts.data !== undefined && method !== 'GET' && method !== 'HEAD';
      const body = hasBody ? (typeof opts.data === 'string' ? opts.data : JSON.stringify(opts.data)) : undefined;
      fetch(opts.url, { method, headers: opts.header, body }).then(async (res) => {
        const text = await res.text();
        let data = text;
        if (opts.dataType !== 'text') try { data = JSON.parse(text); } catch (e) { /* not JSON */ }
        // WeChat passes header names as the server spelled them (e.g. Retry-After), not lower-cased like fetch.
        const header = Object.fromEntries([...res.headers].map(([k, v]) => [k.replace(/(^|-)([a-z])/g, (_, d, c) => d + c.toUpperCase()), v]));
        ok(opts, { statusCode: res.status, data, header });
      }, (e) => fail(opts, `request:fail ${e.message}`));
    },

    uploadFile(opts) {
      const bytes = files.get(opts.filePath);
      if (!bytes) return void setImmediate(() => fail(opts, `uploadFile:fail file not found ${opts.filePath}`));
      const form = new FormData();
      for (const [k, v] of Object.entries(opts.formData || {})) form.append(k, v);
      form.append(opts.name, new Blob([bytes]), opts.filePath.split('/').pop());
      fetch(opts.url, { method: 'POST', headers: opts.header, body: form }).then(async (res) => {
        ok(opts, { statusCode: res.status, data: await res.text() }); // uploadFile's data is always a string
      }, (e) => fail(opts, `uploadFile:fail ${e.message}`));
    },

    // ---- storage ----
    getStorageSync: (k) => (storage.has(k) ? storage.get(k) : ''),
    setStorageSync: (k, v) => { storage.set(k, v); },
    removeStorageSync: (k) => { storage.delete(k); },

    // ---- login, random ----
    login(opts) {
      setImmediate(() => ok(opts, { code: `code:${openid}:${++wx.loginCodes}`, errMsg: 'login:ok' }));
    },
    getRandomValues(opts) {
      setImmediate(() => ok(opts, { randomValues: crypto.randomBytes(opts.length).buffer }));
    },

    // ---- media ----
    putFile(bytes, ext) {
      const path = tempPath(ext);
      files.set(path, Buffer.from(bytes));
      return path;
    },
    chooseMedia(opts) {
      setImmediate(() => {
        const next = wx.chosen.shift();
        if (!next) return fail(opts, 'chooseMedia:fail cancel');
        const tempFilePath = wx.putFile(next.bytes, next.ext || 'png');
        return ok(opts, { type: 'image', tempFiles: [{ tempFilePath, size: next.bytes.length, fileType: 'image' }] });
      });
    },
    getRecorderManager() {
      if (wx.recorder) return wx.recorder;
      const on = { start: [], stop: [], error: [] };
      const recorder = {
        starts: [], // options of every start()
        recording: false,
        onStart: (fn) => on.start.push(fn),
        onStop: (fn) => on.stop.push(fn),
        onError: (fn) => on.error.push(fn),
        start(options = {}) {
          recorder.starts.push(options);
          recorder.recording = true;
          setImmediate(() => on.start.forEach((fn) => fn({})));
        },
        stop() {
          setImmediate(() => {
            if (!recorder.recording) return on.error.forEach((fn) => fn({ errMsg: 'operateRecorder:fail recorder not start' }));
            recorder.recording = false;
            const rec = wx.nextRecording;
            wx.nextRecording = null;
            const format = recorder.starts[recorder.starts.length - 1].format || 'aac';
            const tempFilePath = wx.putFile(rec.bytes, format);
            return on.stop.forEach((fn) => fn({ tempFilePath, duration: rec.duration, fileSize: rec.bytes.length }));
          });
        },
      };
      wx.recorder = recorder;
      return recorder;
    },
    createInnerAudioContext() {
      const on = { play: [], ended: [], stop: [], error: [] };
      const ctx = {
        src: '', plays: [], destroyed: false,
        onPlay: (fn) => on.play.push(fn),
        onEnded: (fn) => on.ended.push(fn),
        onStop: (fn) => on.stop.push(fn),
        onError: (fn) => on.error.push(fn),
        play() {
          const { src } = ctx;
          const entry = { src, status: null };
          ctx.plays.push(entry);
          ctx.playing = fetch(src, { headers: { Range: 'bytes=0-' } }).then(async (res) => {
            entry.status = res.status;
            entry.contentType = res.headers.get('content-type');
            entry.bytes = Buffer.from(await res.arrayBuffer());
            if (res.ok) on.play.forEach((fn) => fn({}));
            else on.error.forEach((fn) => fn({ errCode: 10001, errMsg: `HTTP ${res.status}` }));
          });
        },
        pause() {},
        stop() { on.stop.forEach((fn) => fn({})); },
        destroy() { ctx.destroyed = true; },
      };
      wx.audio.push(ctx);
      return ctx;
    },
    previewImage: (opts) => { wx.previews.push(opts); },

    // ---- app lifecycle ----
    onAppShow: (fn) => handlers.show.add(fn),
    offAppShow: (fn) => handlers.show.delete(fn),
    onAppHide: (fn) => handlers.hide.add(fn),
    offAppHide: (fn) => handlers.hide.delete(fn),
    onNetworkStatusChange: (fn) => handlers.net.add(fn),
    offNetworkStatusChange: (fn) => handlers.net.delete(fn),
    /** The app goes to the background and WeChat closes its sockets (abruptly: the client sees code 1006). */
    enterBackground() {
      handlers.hide.forEach((fn) => fn({}));
      for (const t of wx.sockets) if (t.ws.readyState <= WebSocket.OPEN) t.ws.terminate();
    },
    enterForeground() {
      handlers.show.forEach((fn) => fn({ path: 'pages/chat/index', scene: 1001 }));
    },
    networkBack() {
      handlers.net.forEach((fn) => fn({ isConnected: true, networkType: 'wifi' }));
    },
    handlerCount: () => ({ show: handlers.show.size, net: handlers.net.size }),

    // ---- UI ----
    showToast: (opts) => { wx.toasts.push(opts.title); },
    showLoading: () => {},
    hideLoading: () => {},
    showActionSheet(opts) {
      setImmediate(() => (wx.actionSheetTapIndex === null ? fail(opts, 'showActionSheet:fail cancel')
        : ok(opts, { tapIndex: wx.actionSheetTapIndex })));
    },
    setClipboardData: (opts) => { wx.clipboard = opts.data; ok(opts, {}); },
    setNavigationBarTitle: () => {},
    stopPullDownRefresh: () => {},
    navigateTo: (opts) => { wx.navigations.push({ type: 'navigateTo', url: opts.url }); },
    redirectTo: (opts) => { wx.navigations.push({ type: 'redirectTo', url: opts.url }); },
    reLaunch: (opts) => { wx.navigations.push({ type: 'reLaunch', url: opts.url }); },
    navigateBack: () => { wx.navigations.push({ type: 'navigateBack' }); },
  };
  return wx;
}

module.exports = { createWx };
