// Socket.IO 4 reference peer for the wxim benchmark (bench/README in docs/benchmarks.md).
// One instance per process; start two on the same Redis so broadcasts cross instances through
// @socket.io/redis-adapter, like wxim's gateways through Redis pub/sub.
//   node server.mjs --port 23500 --redis redis://127.0.0.1:23390
// What it does (and deliberately not):
//   - handshake: Engine.IO v4 over WebSocket only; the client names its user in the connect packet ("40{"user":"u1"}")
//     and is put in the room "u:<user>" (direct messages reach every connection of that user, on any instance);
//   - "join" (room) -> the socket joins the room; ack {room};
//   - "send" {room | to, cmid, body} -> broadcast "message" {room|to, from, cmid, body, ts} to the room, or to both
//     users' rooms for a direct message (the sender's connections included, as in wxim); ack {cmid, ts};
//   - NO persistence, NO sequence numbers, NO authentication, NO membership checks: it is the cost of a plain
//     room broadcast over Redis, not a chat backend. wxim stores every message before acknowledging it.
//   - GET /stats -> {rss, heapUsed, heapTotal, connections} for the bench's memory-per-connection figures
//     (start with `node --expose-gc server.mjs ...` and it collects garbage first, like the bench's --gc for Java).
import http from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg('port', process.env.PORT || '23500'));
const host = arg('host', '127.0.0.1');
const redisUrl = arg('redis', process.env.REDIS_URL || 'redis://127.0.0.1:6379');

const pubClient = createClient({ url: redisUrl });
const subClient = pubClient.duplicate();
pubClient.on('error', (e) => console.error('redis pub error', e.message));
subClient.on('error', (e) => console.error('redis sub error', e.message));
await Promise.all([pubClient.connect(), subClient.connect()]);

const httpServer = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    if (typeof global.gc === 'function') global.gc(); // started with --expose-gc: heapUsed is then live data
    const m = process.memoryUsage();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal,
      connections: io.engine.clientsCount }));
    return;
  }
  res.writeHead(404).end();
});

const io = new Server(httpServer, {
  transports: ['websocket'],
  serveClient: false,
  adapter: createAdapter(pubClient, subClient),
});

const ID = /^[A-Za-z0-9_:.-]{1,64}$/;

io.on('connection', (socket) => {
  const user = socket.handshake.auth && typeof socket.handshake.auth.user === 'string'
    && ID.test(socket.handshake.auth.user) ? socket.handshake.auth.user : socket.id;
  socket.data.user = user;
  socket.join(`u:${user}`);

  socket.on('join', (room, ack) => {
    if (typeof room !== 'string' || !ID.test(room)) {
      if (typeof ack === 'function') ack({ error: 'bad_request' });
      return;
    }
    socket.join(room);
    if (typeof ack === 'function') ack({ room });
  });

  socket.on('send', (frame, ack) => {
    if (!frame || typeof frame.body !== 'string' || (typeof frame.room !== 'string' && typeof frame.to !== 'string')) {
      if (typeof ack === 'function') ack({ error: 'bad_request' });
      return;
    }
    const ts = Date.now();
    const message = { from: user, cmid: frame.cmid, body: frame.body, ts };
    if (typeof frame.room === 'string') {
      message.room = frame.room;
      io.to(frame.room).emit('message', message);
    } else {
      message.to = frame.to;
      io.to([`u:${frame.to}`, `u:${user}`]).emit('message', message);
    }
    if (typeof ack === 'function') ack({ cmid: frame.cmid, ts });
  });
});

httpServer.listen(port, host, () => {
  console.log(`socketio-peer listening on ${host}:${port} (redis ${redisUrl}, pid ${process.pid})`);
});

function shutdown() {
  io.close();
  Promise.allSettled([pubClient.quit(), subClient.quit()]).finally(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
