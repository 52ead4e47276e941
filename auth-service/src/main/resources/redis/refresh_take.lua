-- Takes a current refresh token and remembers it as used, in one step: of two concurrent presentations one gets the
-- session and the other finds the token used (a reuse), never two plain "unknown" answers. Within the retry grace it
-- also records the token this rotation issues (its successor) and when, so that a retry after a lost answer is told
-- from a reuse, and so that the successor is stored (refresh_save.lua) only while no retry may take it over.
-- KEYS[1] the token (refreshToken), KEYS[2] its used marker (refreshUsed), KEYS[3] its successor record (refreshNext)
-- ARGV[1] used marker TTL in seconds, ARGV[2] hash of the successor, ARGV[3] the retry grace in ms (0: none)
-- Writes KEYS[3] = '<successor hash>|<time of this take, ms since the epoch, Redis's clock>' with TTL = the grace.
-- Returns the session JSON, or nil when the token is not current.
local v = redis.call('GET', KEYS[1])
if not v then return false end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], v, 'EX', tonumber(ARGV[1]))
local grace = tonumber(ARGV[3])
if grace > 0 then
  -- TIME before a write is allowed: scripts replicate their effects (the default since Redis 5, the only way in 7)
  local t = redis.call('TIME')
  redis.call('SET', KEYS[3], ARGV[2] .. '|' .. t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000)),
      'PX', grace)
end
return v
