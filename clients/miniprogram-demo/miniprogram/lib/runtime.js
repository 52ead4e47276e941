// How a page reaches its app, its client and `wx`. In WeChat: getApp(). In Node tests the page harness sets
// page.$app (several apps live in one process, each with its own fake wx).
function appOf(page) {
  // eslint-disable-next-line no-undef
  return page.$app || getApp();
}

/** Calls a callback-style wx API and returns a promise (success -> resolve, fail -> reject with errMsg). */
function wxCall(wx, name, options = {}) {
  return new Promise((resolve, reject) => wx[name]({
    ...options,
    success: resolve,
    fail: (e) => reject(new Error((e && e.errMsg) || `${name} failed`)),
  }));
}

/** A short text for an error from the SDK (WximError code, WximHttpError status) or from wx. */
function errorText(e) {
  if (!e) return 'failed';
  if (e.code && typeof e.code === 'string') return e.code.replace(/_/g, ' ');
  if (e.status) return `HTTP ${e.status}`;
  return e.message || String(e);
}

function toast(wx, title) {
  wx.showToast({ title: String(title).slice(0, 40), icon: 'none', duration: 2000 });
}

module.exports = { appOf, wxCall, errorText, toast };
