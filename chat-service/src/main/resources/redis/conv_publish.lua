-- Publishes a message frame on its conversation's channel and, in the same step, records the highest seq published
-- there (ADR-27): a gateway that applies a subscription after this PUBLISH reads the key to learn that the client's
-- welcome or joined must state this seq, since the frame itself did not reach the new subscriber.
-- KEYS[1]: the conversation's published-seq key. ARGV[1]: the channel; ARGV[2]: the encoded frame; ARGV[3]: its seq;
-- ARGV[4]: how long the key lives, in seconds (refreshed by every higher seq).
-- Returns what PUBLISH returns (the number of subscribed gateways).
local seq = tonumber(ARGV[3])
local known = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if seq > known then
  redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
end
return redis.call('PUBLISH', ARGV[1], ARGV[2])
