-- Expires the request ARGV[1] -> ARGV[2] if its expiry (score) has passed; only one caller wins the claim.
-- KEYS[1] = im:chat:pair:expiries, KEYS[2] = im:chat:pair:in:<to>, KEYS[3] = im:chat:pair:out:<from>
-- ARGV[3] = now (ms). Returns 1 if this call expired it, else 0.
local member = ARGV[1] .. '|' .. ARGV[2]
local score = redis.call('ZSCORE', KEYS[1], member)
if not score or tonumber(score) > tonumber(ARGV[3]) then
  return 0
end
redis.call('ZREM', KEYS[1], member)
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[2])
return 1
