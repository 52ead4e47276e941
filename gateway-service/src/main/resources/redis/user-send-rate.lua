-- Token bucket of one user's sends, shared by every gateway (one EVALSHA per send).
-- KEYS[1]: the bucket, a hash: t = time of the last refill (microseconds of Redis TIME, one clock for all gateways),
--          n = tokens left (fractional).
-- ARGV[1]: tokens per second; ARGV[2]: burst (bucket size).
-- Returns 0 when a token was taken, else the milliseconds until the next token (at least 1).
-- The key expires once a full bucket would have refilled: an absent key is a full bucket.
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local state = redis.call('HMGET', KEYS[1], 't', 'n')
local last = tonumber(state[1])
local tokens = tonumber(state[2])
if last == nil or tokens == nil then
  last = now
  tokens = burst
end
if now > last then
  tokens = math.min(burst, tokens + (now - last) * rate / 1000000)
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) * 1000 / rate))
end
redis.call('HSET', KEYS[1], 't', now, 'n', tokens)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait
