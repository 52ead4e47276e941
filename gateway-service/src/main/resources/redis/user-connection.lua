-- Counts one connection of a user across every gateway.
-- KEYS[1]: sorted set of the user's connections: member connId, score = epoch ms at which the entry lapses unless its
--          gateway refreshes it (entries of a crashed gateway lapse by themselves).
-- ARGV[1]: connId; ARGV[2]: now (epoch ms, the gateway's clock); ARGV[3]: entry lifetime (ms); ARGV[4]: the cap, or 0
--          to refresh without checking (the gateway's heartbeat for connections it already admitted).
-- Returns 1 if the connection is (still) counted, 0 if the user already has the cap and it was not added.
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if max > 0 and redis.call('ZSCORE', KEYS[1], ARGV[1]) == false and redis.call('ZCARD', KEYS[1]) >= max then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
