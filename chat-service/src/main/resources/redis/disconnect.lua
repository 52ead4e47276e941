-- Removes one connection of a user.
-- KEYS[1] = im:chat:conns:<user>; ARGV[1] = connId
-- Returns 1 when this made the user offline (the connection existed and was the last), else 0. Idempotent.
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
if removed == 1 and redis.call('HLEN', KEYS[1]) == 0 then
  return 1
end
return 0
