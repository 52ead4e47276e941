-- Adds a user to a conversation's online set only while the user has an open connection (a join racing the
-- user's last disconnect must not leave a ghost), and the conversation to the user's online-in set (disconnect.lua).
-- A join takes the room out of the user's recently left rooms (connect.lua leaves those out of a forced registration).
-- KEYS[1] = im:chat:conns:<user>, KEYS[2] = im:chat:online:<conv>, KEYS[3] = im:chat:onlinein:<user>,
-- KEYS[4] = im:chat:leftrooms:<user>
-- ARGV[1] = userId, ARGV[2] = conv. Returns the online count.
redis.call('HDEL', KEYS[4], ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('SADD', KEYS[3], ARGV[2])
end
return redis.call('SCARD', KEYS[2])
