-- A user left a room (the membership is already removed from MongoDB): out of the room's online set (and the record of
-- it, first: a stale record is harmless, an untracked set is not), and the user's leave counter bumped in the same
-- step. A connect that read the memberships before the removal either registered before this (its SADD is undone
-- here) or sees a changed counter in connect.lua and reads them again; it cannot put the user back in the set.
-- KEYS[1] = im:chat:onlinein:<user>, KEYS[2] = im:chat:online:<conv>, KEYS[3] = im:chat:leaves:<user>
-- ARGV[1] = userId, ARGV[2] = conv, ARGV[3] = lifetime of KEYS[3] (ms): longer than any connect takes
-- Returns {the room's online count, the leave counter after this leave}.
redis.call('SREM', KEYS[1], ARGV[2])
redis.call('SREM', KEYS[2], ARGV[1])
local leaves = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return {redis.call('SCARD', KEYS[2]), leaves}
