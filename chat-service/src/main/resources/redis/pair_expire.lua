-- Expires the request ARGV[1] -> ARGV[2] if its expiry (score) has passed; only one caller wins the claim, and the
-- winner tells both users in the same step (lib/to_users.lua, prepended): done after this script, a failure in
-- between lost the news for good, since the next sweep no longer sees the request.
-- KEYS[1] = im:chat:pair:expiries, KEYS[2] = im:chat:pair:in:<to>, KEYS[3] = im:chat:pair:out:<from>,
-- KEYS[4], KEYS[5] = the requester's connections and connections being set up, KEYS[6], KEYS[7] = the target's
-- ARGV[3] = now (ms), ARGV[4] = the node channel prefix, ARGV[5] = the requester's message, ARGV[6] = the target's.
-- Returns 1 if this call expired it (and published), else 0.
local member = ARGV[1] .. '|' .. ARGV[2]
local score = redis.call('ZSCORE', KEYS[1], member)
if not score or tonumber(score) > tonumber(ARGV[3]) then
  return 0
end
redis.call('ZREM', KEYS[1], member)
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[2])
to_users({KEYS[4], KEYS[5], KEYS[6], KEYS[7]}, ARGV[4], '', {ARGV[5], ARGV[6]})
return 1
