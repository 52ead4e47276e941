-- A rotated token presented again within the retry grace: its rotation's answer was lost. Takes the successor that
-- rotation issued, if that is still current or was never stored, and records the new successor in its place.
-- KEYS[1] successor record of the presented token (refreshNext), KEYS[2] the successor (refreshToken),
-- KEYS[3] the successor's used marker (refreshUsed), KEYS[4] the presented token's used marker (refreshUsed)
-- ARGV[1] hash of the successor (as read from KEYS[1]), ARGV[2] hash of the new successor,
-- ARGV[3] used marker TTL in seconds
-- Returns the session JSON, or nil: grace over, or the successor already used (rotated further or retried), a reuse.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return false end
if redis.call('EXISTS', KEYS[3]) == 1 then return false end
local v = redis.call('GET', KEYS[2])
if v then
  redis.call('DEL', KEYS[2])
else
  -- never stored: the rotation was cut off after its take (or is still on its way; refresh_save.lua then refuses it),
  -- or the session was revoked since (the caller's revocation check refuses it)
  v = redis.call('GET', KEYS[4])
  if not v then return false end
end
-- the successor counts as used: presented later (it was delivered after all, or copied), it is a reuse
redis.call('SET', KEYS[3], v, 'EX', tonumber(ARGV[3]))
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
return v
