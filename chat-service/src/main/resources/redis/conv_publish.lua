-- Publishes a message frame on its conversation's channel and, in the same atomic step, records the highest seq
-- published there (ADR-27): a gateway that applies a subscription after this step reads the key to learn that the
-- client's welcome or joined must state this seq, since the frame itself did not reach the new subscriber.
-- KEYS[1]: the conversation's published-seq key. ARGV[1]: the channel; ARGV[2]: the encoded frame; ARGV[3]: its seq;
-- ARGV[4]: how long the key lives, in seconds (refreshed by every higher seq).
-- The PUBLISH goes first and the key is written with pcall: if the hint cannot be kept (a full Redis, a key of
-- another type), the message is still delivered live. Returns what PUBLISH returns (the number of subscribed gateways).
local receivers = redis.call('PUBLISH', ARGV[1], ARGV[2])
local seq = tonumber(ARGV[3])
local current = redis.pcall('GET', KEYS[1])
local known = type(current) == 'string' and tonumber(current) or 0
if seq and seq > known then
  redis.pcall('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
end
return receivers
