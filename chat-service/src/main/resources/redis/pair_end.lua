-- Ends the pair session ARGV[2] of user ARGV[1], atomically for both users.
-- KEYS[1] = im:chat:pair:of:<user>, KEYS[2] = im:chat:pair:lost, KEYS[3] = im:chat:conns:<user>
-- ARGV[1] = user, ARGV[2] = conv, ARGV[3] = key prefix "im:chat:pair:", ARGV[4] = "leave" or "lost", ARGV[5] = now
-- For "lost" it ends only if the user's grace period (score in KEYS[2]) has passed and the user is still offline.
-- Optionally (the sweeper ending a lost peer's session, a pairLeave) the peer is told in the same step
-- (lib/to_users.lua, prepended; done after this script, a failure in between lost it for good): KEYS[4], KEYS[5] = the peer's connections
-- and connections being set up, ARGV[6] = the node channel prefix, ARGV[7] = the peer as read from the session
-- before, ARGV[8] = the peer's message (published only if this call ended the session and its peer is ARGV[7]).
-- Returns "1|peer" if this call ended it, else "0".
local user, conv, prefix = ARGV[1], ARGV[2], ARGV[3]
if ARGV[4] == 'lost' then
  local deadline = redis.call('ZSCORE', KEYS[2], user)
  if not deadline or tonumber(deadline) > tonumber(ARGV[5]) then
    return '0'
  end
  redis.call('ZREM', KEYS[2], user)
  if redis.call('HLEN', KEYS[3]) > 0 then
    return '0'
  end
end
if redis.call('GET', KEYS[1]) ~= conv then
  return '0'
end
local session = prefix .. 'session:' .. conv
local a, b = unpack(redis.call('HMGET', session, 'a', 'b'))
local peer = a
if a == user then
  peer = b
end
redis.call('DEL', KEYS[1])
if peer and redis.call('GET', prefix .. 'of:' .. peer) == conv then
  redis.call('DEL', prefix .. 'of:' .. peer)
end
redis.call('DEL', session)
redis.call('ZREM', KEYS[2], user)
if peer then
  redis.call('ZREM', KEYS[2], peer)
  if #KEYS >= 5 and peer == ARGV[7] then
    to_users({KEYS[4], KEYS[5]}, ARGV[6], '', {ARGV[8]})
  end
end
return '1|' .. (peer or '')
