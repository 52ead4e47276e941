-- Removes the pending request ARGV[1] -> ARGV[2] (cancel by the requester, decline by the target).
-- KEYS[1] = im:chat:pair:in:<to>, KEYS[2] = im:chat:pair:out:<from>, KEYS[3] = im:chat:pair:expiries
-- Returns 1 if a request was removed, 0 if there was none.
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[1] .. '|' .. ARGV[2])
return removed
