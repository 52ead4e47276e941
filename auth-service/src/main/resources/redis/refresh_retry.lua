-- A rotated token presented again within the retry grace: its rotation's answer was lost. Takes the successor that
-- rotation issued, if that is still current or was never stored, and records the new successor in its place.
-- KEYS[1] successor record of the presented token (refreshNext), KEYS[2] the successor (refreshToken),
-- KEYS[3] the successor's used marker (refreshUsed), KEYS[4] the presented token's used marker (refreshUsed)
-- ARGV[1] the record as read from KEYS[1]: '<successor hash>|<its rotation's time, ms>' (refresh_take.lua, or this
-- script for a retry's own successor),
-- ARGV[2] hash of the new successor, ARGV[3] used marker TTL in seconds, ARGV[4] the grace (ms), ARGV[5] the least
-- age (ms) of a rotation whose successor was never stored before a retry may take it over: younger, its rotation may
-- still be on its way, and a copy presented meanwhile must not take the session from it; from that age on
-- refresh_save.lua refuses to store it, in the same step as it measures the age, so a take-over never overtakes a
-- store
-- Writes KEYS[1] = '<new successor hash>|<now, ms>' keeping its TTL (the grace still ends as after the first rotation),
-- but living at least twice the take-over age from now: a retry late in the grace whose own answer is lost too must
-- still find its record when its own token becomes old enough to take over (else the next retry is a reuse and a
-- legitimate session is revoked; review).
-- Returns the session JSON; 'wait' for a retry too early to take over an unstored successor (nothing changed; asked
-- again a little later it finds the successor stored, or old enough); or nil: grace over, or the successor already
-- used (rotated further or retried), a reuse.
local record = redis.call('GET', KEYS[1])
if record ~= ARGV[1] then return false end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return false end
if redis.call('EXISTS', KEYS[3]) == 1 then return false end
-- TIME before a write is allowed: scripts replicate their effects (the default since Redis 5, the only way in 7)
local t = redis.call('TIME')
local now = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
local v = redis.call('GET', KEYS[2])
if v then
  redis.call('DEL', KEYS[2])
else
  -- never stored: the rotation was cut off after its take (or is still on its way; refresh_save.lua then refuses it
  -- once it is old enough), or the session was revoked since (the caller's revocation check refuses it)
  local sep = string.find(record, '|', 1, true)
  if tonumber(now) - tonumber(string.sub(record, sep + 1)) < tonumber(ARGV[5]) then return 'wait' end
  v = redis.call('GET', KEYS[4])
  if not v then return false end
end
-- the successor counts as used: presented later (it was delivered after all, or copied), it is a reuse
redis.call('SET', KEYS[3], v, 'EX', tonumber(ARGV[3]))
redis.call('SET', KEYS[1], ARGV[2] .. '|' .. now, 'PX', math.max(ttl, 2 * tonumber(ARGV[5])))
return v
