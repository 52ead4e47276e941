'use strict';
/*
 * Reference JS side of the WebSocket secure channel (see chat-protocol's io.wxim.protocol.crypto.KeyWrap and
 * FrameCipher), in two implementations with the same behaviour:
 *   - "forge": node-forge in pure-JavaScript mode, no Node APIs in the crypto path (what a mini-program can run);
 *   - "node":  node:crypto (OpenSSL).
 *
 * Key transport: RSA-OAEP, SHA-256, MGF1-SHA-256, empty label; RSA keys of at least 2048 bits; 32-byte AES key.
 * Frame: {"type":"sec","c":<counter>,"n":"<base64 12-byte nonce>","d":"<base64 ciphertext+16-byte tag>"},
 * AES-256-GCM, AAD = ASCII "<direction>|<counter>" (direction "c2s" client->server, "s2c" server->client),
 * counters 1..2^31 per direction, strictly increasing on receipt.
 *
 * CLI (used by the Java build's JsInteropTests): node interop.js <command> < args.json
 *   wrap  {"impl","publicKey" (PEM or base64 DER SPKI),"key" (base64, 32 bytes)}      -> {"wrapped": base64}
 *   seal  {"impl","key","counter","plaintext"[, "nonce" (base64)][, "direction" = "c2s"]} -> {"frame": string}
 *   open  {"impl","key","frame"[, "lastCounter" = 0][, "direction" = "s2c"]}          -> {"plaintext", "counter"}
 *   selftest {}  (both implementations against each other)                               -> {"ok": true}
 * Exit status: 0 ok (JSON on stdout); 3 rejected frame ({"error":"invalid secure frame"} on stdout); 2 bad usage.
 */
const nodeCrypto = require('node:crypto');
const forge = require('node-forge');

forge.options.usePureJavaScript = true;

const FAILURE = 'invalid secure frame';
const MAX_COUNTER = 2 ** 31;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MIN_RSA_BITS = 2048;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

class SecureFrameError extends Error {
  constructor() {
    super(FAILURE);
    this.name = 'SecureFrameError';
  }
}

function fail() {
  throw new SecureFrameError();
}

/**
 * A strong random source that a mini-program also has (wx.getRandomValues there). forge.random is NOT used.
 * Node 18 (Debian 12) has no global crypto object by default: fall back to node:crypto's webcrypto there.
 */
const getRandomValues = globalThis.crypto && globalThis.crypto.getRandomValues
  ? (bytes) => globalThis.crypto.getRandomValues(bytes)
  : (bytes) => nodeCrypto.webcrypto.getRandomValues(bytes);

function strongRandom(n) {
  const bytes = new Uint8Array(n);
  getRandomValues(bytes);
  return bytes;
}

// Each implementation works on its own byte representation (forge: binary strings; node: Buffers).
const implementations = {
  forge: {
    fromBase64(text) {
      if (typeof text !== 'string' || !BASE64.test(text)) fail();
      const bytes = forge.util.decode64(text);
      if (forge.util.encode64(bytes) !== text) fail(); // canonical encoding only
      return bytes;
    },
    toBase64: (bytes) => forge.util.encode64(bytes),
    length: (bytes) => bytes.length,
    random: (n) => String.fromCharCode.apply(null, strongRandom(n)),
    utf8Encode: (text) => forge.util.encodeUtf8(text),
    utf8Decode(bytes) {
      try {
        return forge.util.decodeUtf8(bytes);
      } catch (e) {
        return fail();
      }
    },
    wrap(publicKey, key) {
      const pub = publicKey.includes('-----BEGIN')
        ? forge.pki.publicKeyFromPem(publicKey)
        : forge.pki.publicKeyFromAsn1(forge.asn1.fromDer(forge.util.decode64(publicKey)));
      if (pub.n.bitLength() < MIN_RSA_BITS) throw new Error(`RSA key must have at least ${MIN_RSA_BITS} bits`);
      return pub.encrypt(key, 'RSA-OAEP', {
        md: forge.md.sha256.create(),
        mgf1: { md: forge.md.sha256.create() },
        seed: this.random(32), // OAEP seed = hLen bytes, from the strong source
      });
    },
    gcmSeal(key, nonce, aad, plaintext) {
      const cipher = forge.cipher.createCipher('AES-GCM', key);
      cipher.start({ iv: nonce, additionalData: aad, tagLength: TAG_BYTES * 8 });
      cipher.update(forge.util.createBuffer(plaintext));
      if (!cipher.finish()) throw new Error('AES-GCM failed');
      return cipher.output.getBytes() + cipher.mode.tag.getBytes();
    },
    gcmOpen(key, nonce, aad, data) {
      const decipher = forge.cipher.createDecipher('AES-GCM', key);
      decipher.start({
        iv: nonce,
        additionalData: aad,
        tagLength: TAG_BYTES * 8,
        tag: forge.util.createBuffer(data.slice(data.length - TAG_BYTES)),
      });
      decipher.update(forge.util.createBuffer(data.slice(0, data.length - TAG_BYTES)));
      if (!decipher.finish()) fail();
      return decipher.output.getBytes();
    },
  },

  node: {
    fromBase64(text) {
      if (typeof text !== 'string' || !BASE64.test(text)) fail();
      const bytes = Buffer.from(text, 'base64');
      if (bytes.toString('base64') !== text) fail();
      return bytes;
    },
    toBase64: (bytes) => Buffer.from(bytes).toString('base64'),
    length: (bytes) => bytes.length,
    random: (n) => nodeCrypto.randomBytes(n),
    utf8Encode: (text) => Buffer.from(new TextEncoder().encode(text)),
    utf8Decode(bytes) {
      try {
        return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
      } catch (e) {
        return fail();
      }
    },
    wrap(publicKey, key) {
      const keyObject = publicKey.includes('-----BEGIN')
        ? nodeCrypto.createPublicKey(publicKey)
        : nodeCrypto.createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
      if (keyObject.asymmetricKeyType !== 'rsa' || keyObject.asymmetricKeyDetails.modulusLength < MIN_RSA_BITS) {
        throw new Error(`RSA key must have at least ${MIN_RSA_BITS} bits`);
      }
      // oaepHash sets the OAEP digest; OpenSSL uses the same digest for MGF1 unless told otherwise.
      return nodeCrypto.publicEncrypt(
        { key: keyObject, padding: nodeCrypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key);
    },
    gcmSeal(key, nonce, aad, plaintext) {
      const cipher = nodeCrypto.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(aad, 'ascii'));
      return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    },
    gcmOpen(key, nonce, aad, data) {
      try {
        const decipher = nodeCrypto.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(aad, 'ascii'));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]);
      } catch (e) {
        return fail();
      }
    },
  },
};

function impl(name) {
  const found = Object.prototype.hasOwnProperty.call(implementations, name) ? implementations[name] : undefined;
  if (!found) throw new Error(`unknown impl ${JSON.stringify(name)} (forge | node)`);
  return found;
}

function sessionKey(im, keyBase64) {
  const key = im.fromBase64(keyBase64);
  if (im.length(key) !== KEY_BYTES) throw new Error(`key must be ${KEY_BYTES} bytes`);
  return key;
}

function checkDirection(direction) {
  if (direction !== 'c2s' && direction !== 's2c') throw new Error('direction must be c2s or s2c');
  return direction;
}

/** Wraps a 32-byte key (base64) for an RSA public key (PEM, or base64 DER SPKI); returns base64. */
function wrapKey(implName, publicKey, keyBase64) {
  const im = impl(implName);
  return im.toBase64(im.wrap(publicKey, sessionKey(im, keyBase64)));
}

/** Seals a plaintext into a frame with the given counter; nonceBase64 only for known-answer vectors. */
function sealFrame(implName, keyBase64, direction, counter, plaintext, nonceBase64) {
  const im = impl(implName);
  checkDirection(direction);
  if (!Number.isSafeInteger(counter) || counter < 1 || counter > MAX_COUNTER) throw new Error('counter out of range');
  if (typeof plaintext !== 'string') throw new Error('plaintext must be a string');
  const key = sessionKey(im, keyBase64);
  const nonce = nonceBase64 === undefined || nonceBase64 === null ? im.random(NONCE_BYTES) : im.fromBase64(nonceBase64);
  if (im.length(nonce) !== NONCE_BYTES) throw new Error(`nonce must be ${NONCE_BYTES} bytes`);
  const data = im.gcmSeal(key, nonce, `${direction}|${counter}`, im.utf8Encode(plaintext));
  return `{"type":"sec","c":${counter},"n":"${im.toBase64(nonce)}","d":"${im.toBase64(data)}"}`;
}

/**
 * Opens a frame of the given direction whose counter must exceed lastCounter; returns {plaintext, counter}. Every
 * rejection throws SecureFrameError("invalid secure frame").
 */
function openFrame(implName, keyBase64, direction, lastCounter, frameJson) {
  const im = impl(implName);
  checkDirection(direction);
  const key = sessionKey(im, keyBase64);
  let frame;
  try {
    frame = JSON.parse(frameJson);
  } catch (e) {
    return fail();
  }
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) fail();
  const fields = Object.keys(frame);
  if (fields.length !== 4 || !['type', 'c', 'n', 'd'].every((f) => fields.includes(f))) fail();
  const counter = frame.c;
  if (frame.type !== 'sec' || !Number.isSafeInteger(counter) || counter < 1 || counter > MAX_COUNTER) fail();
  if (counter <= lastCounter) fail(); // replay or reordering
  const nonce = im.fromBase64(frame.n);
  const data = im.fromBase64(frame.d);
  if (im.length(nonce) !== NONCE_BYTES || im.length(data) < TAG_BYTES) fail();
  const plaintext = im.utf8Decode(im.gcmOpen(key, nonce, `${direction}|${counter}`, data));
  return { plaintext, counter };
}

/** Stateful client end of a channel (what an SDK keeps per connection): seals c2s, opens s2c. */
function createClientChannel(implName, keyBase64) {
  let nextSend = 1;
  let lastReceived = 0;
  return {
    seal(plaintext) {
      if (nextSend > MAX_COUNTER) fail(); // exhausted: never wrap, reconnect with a new key
      const frame = sealFrame(implName, keyBase64, 'c2s', nextSend, plaintext);
      nextSend += 1;
      return frame;
    },
    open(frameJson) {
      const opened = openFrame(implName, keyBase64, 's2c', lastReceived, frameJson);
      lastReceived = opened.counter;
      return opened.plaintext;
    },
  };
}

function selftest() {
  const { publicKey, privateKey } = nodeCrypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' });
  const key = nodeCrypto.randomBytes(KEY_BYTES).toString('base64');
  for (const name of Object.keys(implementations)) {
    const unwrapped = nodeCrypto.privateDecrypt({
      key: privateKey, padding: nodeCrypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256',
    }, Buffer.from(wrapKey(name, pem, key), 'base64'));
    if (unwrapped.toString('base64') !== key) throw new Error(`${name}: wrap mismatch`);
    for (const other of Object.keys(implementations)) {
      const frame = sealFrame(name, key, 's2c', 7, '{"type":"ping","x":"h\u00e9 \u{1F44B}"}');
      if (openFrame(other, key, 's2c', 6, frame).plaintext !== '{"type":"ping","x":"h\u00e9 \u{1F44B}"}') {
        throw new Error(`${name} -> ${other}: open mismatch`);
      }
      for (const [direction, last] of [['c2s', 0], ['s2c', 7]]) {
        try {
          openFrame(other, key, direction, last, frame);
          throw new Error(`${name} -> ${other}: accepted a reflected or replayed frame`);
        } catch (e) {
          if (!(e instanceof SecureFrameError)) throw e;
        }
      }
    }
  }
  return { ok: true };
}

function run(command, args) {
  switch (command) {
    case 'wrap':
      return { wrapped: wrapKey(args.impl, args.publicKey, args.key) };
    case 'seal':
      return { frame: sealFrame(args.impl, args.key, args.direction ?? 'c2s', args.counter, args.plaintext, args.nonce) };
    case 'open':
      return openFrame(args.impl, args.key, args.direction ?? 's2c', args.lastCounter ?? 0, args.frame);
    case 'selftest':
      return selftest();
    default:
      throw new Error(`unknown command ${JSON.stringify(command)} (wrap | seal | open | selftest)`);
  }
}

function main() {
  const chunks = [];
  process.stdin.on('data', (chunk) => chunks.push(chunk));
  process.stdin.on('end', () => {
    try {
      const input = Buffer.concat(chunks).toString('utf8').trim();
      const result = run(process.argv[2], input === '' ? {} : JSON.parse(input));
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } catch (e) {
      if (e instanceof SecureFrameError) {
        process.stdout.write(`${JSON.stringify({ error: FAILURE })}\n`);
        process.exitCode = 3;
      } else {
        process.stderr.write(`interop.js: ${e && e.message ? e.message : e}\n`);
        process.exitCode = 2;
      }
    }
  });
}

module.exports = {
  FAILURE, MAX_COUNTER, SecureFrameError, implementations, wrapKey, sealFrame, openFrame, createClientChannel,
};

if (require.main === module) {
  main();
}
