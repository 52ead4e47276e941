-- Removes one connection of a user, atomically with the user's online sets.
-- KEYS[1] = im:chat:conns:<user>, KEYS[2] = im:chat:closed:<connId>, KEYS[3] = im:chat:lastseen:<user>,
-- KEYS[4] = im:chat:connecting:<user> (a connection whose connect never completed is removed from there),
-- KEYS[5..n] = im:chat:online:<conv>
-- ARGV[1] = connId, ARGV[2] = userId, ARGV[3] = tombstone TTL in seconds, ARGV[4] = now (ms)
-- Leaves a tombstone so a CONNECT of this connection processed later (reordered or redelivered) is ignored.
-- Returns 1 if this made the user offline (and records the time as last seen), else 0. Idempotent.
redis.call('SET', KEYS[2], '1', 'EX', tonumber(ARGV[3]))
redis.call('HDEL', KEYS[4], ARGV[1])
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then
  for i = 5, #KEYS do
    redis.call('SREM', KEYS[i], ARGV[2])
  end
  if removed == 1 then
    redis.call('SET', KEYS[3], ARGV[4])
    return 1
  end
end
return 0
