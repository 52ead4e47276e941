-- A user went offline: if in a pair session, start the grace period (unless already running).
-- KEYS[1] = im:chat:pair:of:<user>, KEYS[2] = im:chat:pair:lost, ARGV[1] = user, ARGV[2] = deadline (ms)
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1])
  return 1
end
return 0
