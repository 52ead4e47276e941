-- Ends the pair session ARGV[2] of user ARGV[1], atomically for both users.
-- KEYS[1] = im:chat:pair:of:<user>, KEYS[2] = im:chat:pair:lost, KEYS[3] = im:chat:conns:<user>
-- ARGV[1] = user, ARGV[2] = conv, ARGV[3] = key prefix "im:chat:pair:", ARGV[4] = "leave" or "lost", ARGV[5] = now
-- For "lost" it ends only if the user's grace period (score in KEYS[2]) has passed and the user is still offline.
-- Optionally (the sweeper ending a lost peer's session, a pairLeave) users are told in the same step
-- (lib/to_users.lua, prepended; done after this script, a failure in between lost it for good): ARGV[6] = the node
-- channel prefix, ARGV[7] = the peer as read from the session before ('' if none was read), ARGV[8..n] = one message
-- per user (the sweeper: the peer's; a pairLeave: the peer's unless none was read, then the leaver's for their other
-- connections), KEYS[4..] = each such user's connections and connections being set up (two keys per message).
-- Published only if this call ended the session and its peer is ARGV[7] (else the caller tells them itself).
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
end
if #KEYS >= 5 and (peer or '') == ARGV[7] then
  local nodeKeys, messages = {}, {}
  for i = 8, #ARGV do
    messages[#messages + 1] = ARGV[i]
  end
  for k = 4, #KEYS do
    nodeKeys[#nodeKeys + 1] = KEYS[k]
  end
  to_users(nodeKeys, ARGV[6], '', messages)
end
return '1|' .. (peer or '')
