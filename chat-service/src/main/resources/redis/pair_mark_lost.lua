-- A user went offline: if in a pair session, start the grace period (unless already running). Not while the user has
-- a connection (one opened between the disconnect and this call): an online user has no grace period.
-- KEYS[1] = im:chat:pair:of:<user>, KEYS[2] = im:chat:pair:lost, KEYS[3] = im:chat:conns:<user>,
-- ARGV[1] = user, ARGV[2] = deadline (ms)
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('HLEN', KEYS[3]) == 0 then
  redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1])
  return 1
end
return 0
