-- A rotated token presented again within the retry grace: its rotation's answer was lost. Takes the successor that
-- rotation issued, if that is still current or was never stored, and records the new successor in its place.
-- KEYS[1] successor record of the presented token (refreshNext), KEYS[2] the successor (refreshToken),
-- KEYS[3] the successor's used marker (refreshUsed), KEYS[4] the presented token's used marker (refreshUsed)
-- ARGV[1] hash of the successor (as read from KEYS[1]), ARGV[2] hash of the new successor,
-- ARGV[3] used marker TTL in seconds, ARGV[4] the grace (ms), ARGV[5] the least age (ms) of a rotation whose successor
-- was never stored before a retry may take it over: younger, its rotation may still be on its way (it stores the
-- successor in milliseconds, unless a store is slow), and a copy presented meanwhile must not take the session from
-- it (the owner would get a plain 401 and log in again, the copy's holder keep the session undetected)
-- Returns the session JSON; 'wait' for a retry too early to take over an unstored successor (nothing changed; asked
-- again a little later it finds the successor stored, or old enough); or nil: grace over, or the successor already
-- used (rotated further or retried), a reuse.
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
  if tonumber(ARGV[4]) - ttl < tonumber(ARGV[5]) then return 'wait' end
  v = redis.call('GET', KEYS[4])
  if not v then return false end
end
-- the successor counts as used: presented later (it was delivered after all, or copied), it is a reuse
redis.call('SET', KEYS[3], v, 'EX', tonumber(ARGV[3]))
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
return v
