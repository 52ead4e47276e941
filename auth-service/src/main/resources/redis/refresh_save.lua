-- Stores a session's new current refresh token, unless a retry may take it over or took it over already. For a
-- refresh (KEYS[4] given) it is refused once its rotation is ARGV[4] old (Redis's clock, measured in this step), the
-- age from which refresh_retry.lua takes over a successor that was never stored: so a store and a take-over never
-- both happen, whatever the time between the take and this store. And it is refused when the token's used marker
-- exists (a retry took it over). A login (no KEYS[4]) has no rotation and no check.
-- KEYS[1] the token (refreshToken), KEYS[2] its used marker (refreshUsed), KEYS[3] the session (refreshFamily),
-- KEYS[4] (a refresh only) the successor record of the presented token (refreshNext): '<hash>|<rotation time, ms>'
-- ARGV[1] the session JSON, ARGV[2] TTL in ms, ARGV[3] hash of the token, ARGV[4] the take-over age (ms)
-- Returns 1 when stored, 0 when refused. No record (the grace is over, or 0): no retry can take the token over, stored.
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if KEYS[4] then
  local record = redis.call('GET', KEYS[4])
  if record then
    local sep = string.find(record, '|', 1, true)
    -- the record names another token only after a retry took this one (which marks it used): refuse all the same
    if string.sub(record, 1, sep - 1) ~= ARGV[3] then return 0 end
    local t = redis.call('TIME')
    local age = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(string.sub(record, sep + 1))
    if age >= tonumber(ARGV[4]) then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
redis.call('SET', KEYS[3], ARGV[3], 'PX', tonumber(ARGV[2]))
return 1
