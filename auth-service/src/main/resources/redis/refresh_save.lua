-- Stores a session's new current refresh token, unless a retry took it over already (its used marker exists: the
-- refresh that made it was overtaken by a retry of the same token, and its answer is dropped).
-- KEYS[1] the token (refreshToken), KEYS[2] its used marker (refreshUsed), KEYS[3] the session (refreshFamily)
-- ARGV[1] the session JSON, ARGV[2] TTL in ms, ARGV[3] hash of the token
-- Returns 1 when stored, 0 when refused.
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
redis.call('SET', KEYS[3], ARGV[3], 'PX', tonumber(ARGV[2]))
return 1
