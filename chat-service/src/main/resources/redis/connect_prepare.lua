-- A connect's first step, in one round trip: unless the connection already closed (its DISCONNECT ran: nothing left
-- to do), register it in the user's connections, so that whatever is delivered to the user from now on reaches its
-- node (held there until the welcome) before the memberships are read; and read the user's cached profile (a Mongo
-- write only if it changed).
-- KEYS[1] = im:chat:closed:<connId>, KEYS[2] = im:chat:profile:<user>, KEYS[3] = im:chat:conns:<user>
-- ARGV[1] = connId, ARGV[2] = node
-- Returns {closed ('1' or '0'), stored ('1' or ''), nickname, avatarUrl, '1' if this registration made the user
-- online or '0'}. Idempotent on redelivery.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'1', '', '', '', '0'}
end
local added = redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
local came = '0'
if added == 1 and redis.call('HLEN', KEYS[3]) == 1 then
  came = '1'
end
local p = redis.call('HMGET', KEYS[2], 'stored', 'nickname', 'avatarUrl')
return {'0', p[1] or '', p[2] or '', p[3] or '', came}
