-- Registers one connection of a user, atomically with the user's online sets, and reads what the welcome needs; the
-- connection leaves the user's connections being set up (connect_prepare.lua).
-- KEYS[1] = im:chat:conns:<user>, KEYS[2] = im:chat:profile:<user>, KEYS[3] = im:chat:closed:<connId>,
-- KEYS[4] = the pair sessions' lost set (the user is back: no grace period running),
-- KEYS[5] = the user's pair session key (read after registering: a session that starts later is pushed to this
--           connection, one that started before is in the answer),
-- KEYS[6] = im:chat:connecting:<user>, KEYS[7] = im:chat:onlinein:<user> (the conversations whose online set holds
--           the user, so a disconnect finds them without MongoDB),
-- KEYS[8] = im:chat:leaves:<user> (the user's last room leave, room_leave.lua),
-- KEYS[9] = im:chat:leftrooms:<user> (rooms left recently, each with its leave's value: one left after the memberships
--           were read is not registered, which matters for a forced registration; unforced, none can be),
-- KEYS[10] = im:chat:joinstold:<user> (the rooms whose memberJoined was told for the user's membership, below),
-- KEYS[11..n] = im:chat:online:<conv> for each conversation of the user
-- ARGV[1] = connId, ARGV[2] = node, ARGV[3] = nickname, ARGV[4] = avatarUrl ('' when none), ARGV[5] = userId,
-- ARGV[6] = the prefix of the online keys (im:chat:online:), ARGV[7] = the node's index (im:chat:node:<node>),
-- ARGV[8] = the set of nodes (im:chat:nodes): the connection is also indexed by its node, so the connections of a node
-- that died without DISCONNECTs can be ended, ARGV[9] = the user's last leave as read before the memberships were
-- (connect_prepare.lua; '' when none), ARGV[10] = '1' to register even if it changed since (the last read allowed)
-- Announcing (ARGV[11] given): if this made the user online, it is announced to each conversation registered, in the
-- same step (done after this script, a failure in between lost the announcements for good: a redelivered CONNECT finds
-- the connection registered already). ARGV[11..19] = what lib/announce.lua needs (prepended): the crowd threshold, the
-- channel prefix, the lobby's id, the frames (memberJoined in the lobby, presence online elsewhere) and the set of
-- crowded conversations (one above the threshold is added there for the periodic count instead). ARGV[20..24] (given
-- with them when a conversation was joined recently): the room frames of memberJoined, and ARGV[25] one character per
-- KEYS[11..n], '1' for a membership joined recently (a minute less than lib/announce.lua's TOLD_TTL, by chat's clock:
-- PresenceRepository.recentJoins). Such a membership's join may not have reached its step (or failed before it: its
-- retry then finds the user in the room's online set, or offline, and tells nothing), so unless KEYS[10] records its
-- join told (lib/announce.lua's told), it is told here, as memberJoined instead of presence online when the user
-- comes online, and when this connection puts an already online user in the room; recorded there as mark_online.lua
-- does. An older membership's join was told
-- long ago (its record has lapsed): the room gets presence online.
-- Returns {-1} if the connection was already closed (its DISCONNECT ran first: a late or redelivered CONNECT must
-- not bring it back); {-2}, changing nothing, if the user left a room since the memberships were read (they may list
-- it: read them again); else {1 if this made the user online or 0, the pair session conv or '', ARGV[9] as a number
-- (0 when none: the welcome states it, and the gateway holds back rooms left later, ADR-31), then the online count of
-- each KEYS[11..n], -1 for one left after the memberships were read (not registered)}. Idempotent on redelivery.
local now = ARGV[20] and now_ms()
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('HDEL', KEYS[6], ARGV[1])
  return {-1}
end
if ARGV[10] ~= '1' and (redis.call('GET', KEYS[8]) or '') ~= ARGV[9] then
  return {-2}
end
redis.call('HDEL', KEYS[6], ARGV[1])
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', ARGV[7], ARGV[1], ARGV[5])
redis.call('SADD', ARGV[8], ARGV[2])
redis.call('HSET', KEYS[2], 'nickname', ARGV[3], 'avatarUrl', ARGV[4])
redis.call('ZREM', KEYS[4], ARGV[5])
local read = tonumber(ARGV[9]) or 0
local result = {0, redis.call('GET', KEYS[5]) or '', read}
if added == 1 and redis.call('HLEN', KEYS[1]) == 1 then
  result[1] = 1
end
for i = 11, #KEYS do
  local conv = string.sub(KEYS[i], #ARGV[6] + 1)
  local left = nil -- unforced, the last leave is unchanged since the read, so no room was left after it
  if ARGV[10] == '1' then
    left = tonumber(redis.call('HGET', KEYS[9], conv) or '')
  end
  if left == nil or left <= read then
    local joined = redis.call('SADD', KEYS[i], ARGV[5])
    redis.call('SADD', KEYS[7], conv)
    local online = redis.call('SCARD', KEYS[i])
    result[#result + 1] = online
    local recent = ARGV[25] and string.sub(ARGV[25], i - 10, i - 10) == '1'
    if recent and (result[1] == 1 or joined == 1) and told(KEYS[10], conv, now) ~= 'j' then
      record_told(KEYS[10], conv, 'j', now)
      announce(conv, online, ARGV, 11, 20)
    elseif result[1] == 1 and ARGV[11] then
      announce(conv, online, ARGV, 11)
    end
  else
    result[#result + 1] = -1
  end
end
return result
