// Turns protocol `message` records into what the chat page renders, and keeps them in seq order.

const MAX_SHOWN = 200;

function convKind(conv) {
  if (!conv) return 'direct';
  return { r: 'room', d: 'direct', p: 'pair' }[conv[0]] || 'room';
}

function durationText(ms) {
  const s = Math.max(1, Math.round((ms || 0) / 1000));
  return `${s}"`;
}

/** The view of one stored message. `client` resolves the signed, gateway-relative media links. */
function toView(m, client, myId) {
  const v = {
    key: `s${m.seq}`,
    seq: m.seq,
    id: m.id,
    cmid: m.cmid || '',
    kind: m.kind || 'text',
    mine: !!(m.from && m.from.id === myId),
    fromName: (m.from && (m.from.nickname || m.from.id)) || '',
    body: m.body || '',
    recalled: !!m.recalled,
    pending: false,
    ts: m.ts,
  };
  if (m.media && !v.recalled) {
    v.mediaId = m.media.id;
    v.expiresAt = m.media.expiresAt || 0;
    v.url = m.media.url ? client.resolveUrl(m.media.url) : '';
    v.thumb = m.media.thumbUrl ? client.resolveUrl(m.media.thumbUrl) : v.url;
  }
  if (v.kind === 'audio') {
    v.durationMs = m.duration || (m.media && m.media.duration) || 0;
    v.durationText = durationText(v.durationMs);
  }
  return v;
}

/** A not yet acknowledged send of ours, shown at the end until its message arrives. */
function pendingView(cmid, fields) {
  return { key: `c${cmid}`, seq: 0, cmid, mine: true, pending: true, recalled: false, fromName: '', kind: 'text', body: '', ...fields };
}

/**
 * Merges views into a list: one entry per seq (a later copy wins), pending sends replaced by their stored message
 * (same cmid), stored messages ascending by seq, pending ones after them. Keeps the newest MAX_SHOWN.
 */
function merge(list, views) {
  const bySeq = new Map();
  const pending = [];
  for (const v of list) if (v.pending) pending.push(v); else bySeq.set(v.seq, v);
  for (const v of views) {
    if (v.pending) pending.push(v);
    else bySeq.set(v.seq, v);
  }
  const cmids = new Set([...bySeq.values()].map((v) => v.cmid).filter(Boolean));
  const stored = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  const out = stored.concat(pending.filter((p) => !cmids.has(p.cmid)));
  return out.slice(-MAX_SHOWN);
}

module.exports = { convKind, toView, pendingView, merge, durationText, MAX_SHOWN };
