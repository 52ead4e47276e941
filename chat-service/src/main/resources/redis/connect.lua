-- Registers one connection of a user and stores the user's profile.
-- KEYS[1] = im:chat:conns:<user>, KEYS[2] = im:chat:profile:<user>
-- ARGV[1] = connId, ARGV[2] = node, ARGV[3] = nickname, ARGV[4] = avatarUrl ('' when none)
-- Returns 1 when this made the user online (new connection and the only one), else 0. Idempotent on redelivery.
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], 'nickname', ARGV[3], 'avatarUrl', ARGV[4])
if added == 1 and redis.call('HLEN', KEYS[1]) == 1 then
  return 1
end
return 0
