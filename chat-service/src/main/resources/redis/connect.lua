-- Registers one connection of a user, atomically with the user's online sets.
-- KEYS[1] = im:chat:conns:<user>, KEYS[2] = im:chat:profile:<user>, KEYS[3] = im:chat:closed:<connId>,
-- KEYS[4..n] = im:chat:online:<conv> for each conversation of the user
-- ARGV[1] = connId, ARGV[2] = node, ARGV[3] = nickname, ARGV[4] = avatarUrl ('' when none), ARGV[5] = userId
-- Returns -1 if the connection was already closed (its DISCONNECT ran first: a late or redelivered CONNECT must
-- not bring it back), 1 if this made the user online, else 0. Idempotent on redelivery.
if redis.call('EXISTS', KEYS[3]) == 1 then
  return -1
end
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], 'nickname', ARGV[3], 'avatarUrl', ARGV[4])
for i = 4, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[5])
end
if added == 1 and redis.call('HLEN', KEYS[1]) == 1 then
  return 1
end
return 0
