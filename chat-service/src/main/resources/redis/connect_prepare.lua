-- A connect's first step, before the user's memberships are read, in one round trip: whether the connection already
-- closed (its DISCONNECT ran: nothing left to do); if not, the connection is added to the user's connections being
-- set up, which deliveries to the user reach (a conversation created while the memberships are read, such as a first
-- direct message, reaches this connection; the gateway holds it until the welcome); the user's cached profile (a
-- Mongo write only if it changed); and the user's last room leave, which connect.lua compares (a leave on another
-- device after this read makes the connect read the memberships again). Presence is unchanged until connect.lua.
-- KEYS[1] = im:chat:closed:<connId>, KEYS[2] = im:chat:profile:<user>, KEYS[3] = im:chat:connecting:<user>,
-- KEYS[4] = im:chat:leaves:<user>
-- ARGV[1] = connId, ARGV[2] = node, ARGV[3] = lifetime of KEYS[3] (ms): bounds an entry whose connect never completed,
-- ARGV[4] = how long the user's cached profile is kept from now (ms; refreshed by every connect: Redis keeps what it
-- holds of a user for the users active lately)
-- Returns {closed ('1' or '0'), stored ('1' or ''), nickname, avatarUrl, the last leave ('' when none)}
local closed = redis.call('EXISTS', KEYS[1])
if closed == 0 then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local p = redis.call('HMGET', KEYS[2], 'stored', 'nickname', 'avatarUrl')
return {tostring(closed), p[1] or '', p[2] or '', p[3] or '', redis.call('GET', KEYS[4]) or ''}
