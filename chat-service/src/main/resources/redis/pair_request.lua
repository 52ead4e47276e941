-- Creates a pair request from ARGV[1] to ARGV[2], atomically with both users' state.
-- KEYS[1] = im:chat:pair:in:<to>, KEYS[2] = im:chat:pair:out:<from>, KEYS[3] = im:chat:pair:of:<from>,
-- KEYS[4] = im:chat:pair:of:<to>, KEYS[5] = im:chat:pair:expiries
-- ARGV[1] = from, ARGV[2] = to, ARGV[3] = expiresAt (ms), ARGV[4] = conv the session will use,
-- ARGV[5] = max outgoing, ARGV[6] = max incoming, ARGV[7] = now (ms)
-- Returns "1|expiresAt|conv" (created), "0|expiresAt|conv" (already pending: idempotent), "busy_self", "busy_peer",
-- "too_many_out" or "too_many_in".
if redis.call('EXISTS', KEYS[3]) == 1 then
  return 'busy_self'
end
if redis.call('EXISTS', KEYS[4]) == 1 then
  return 'busy_peer'
end
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then
  local sep = string.find(existing, '|', 1, true)
  if tonumber(string.sub(existing, 1, sep - 1)) > tonumber(ARGV[7]) then
    return '0|' .. existing
  end
  -- expired but not swept yet: replace it
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[2])
  redis.call('ZREM', KEYS[5], ARGV[1] .. '|' .. ARGV[2])
end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[5]) then
  return 'too_many_out'
end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[6]) then
  return 'too_many_in'
end
local value = ARGV[3] .. '|' .. ARGV[4]
redis.call('HSET', KEYS[1], ARGV[1], value)
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1] .. '|' .. ARGV[2])
return '1|' .. value
