-- Removes the pending request ARGV[1] -> ARGV[2] (cancel by the requester, decline by the target).
-- KEYS[1] = im:chat:pair:in:<to>, KEYS[2] = im:chat:pair:out:<from>, KEYS[3] = im:chat:pair:expiries
-- Optionally (a pairCancel, a pairDecline) users are told in the same step if this call removed the request
-- (lib/to_users.lua, prepended; told after this script, a failure in between lost it for good, as a retry finds no
-- request and tells no one): ARGV[3] = the node channel prefix, ARGV[4..n] = one message per user (the other side's,
-- then the actor's for their other connections), KEYS[4..] = each such user's connections and connections being set
-- up (two keys per message).
-- Returns 1 if a request was removed, 0 if there was none.
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[1] .. '|' .. ARGV[2])
if removed == 1 and ARGV[3] then
  local nodeKeys, messages = {}, {}
  for i = 4, #ARGV do
    messages[#messages + 1] = ARGV[i]
  end
  for k = 4, #KEYS do
    nodeKeys[#nodeKeys + 1] = KEYS[k]
  end
  to_users(nodeKeys, ARGV[3], '', messages)
end
return removed
