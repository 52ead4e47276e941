-- Registers one connection of a user, atomically with the user's online sets, and reads what the welcome needs; the
-- connection leaves the user's connections being set up (connect_prepare.lua). The user's cached profile is not
-- written here: ProfileService.record writes it (with its lifetime) before this step when it is new or changed.
-- KEYS[1] = im:chat:conns:<user>, KEYS[2] = im:chat:closed:<connId>,
-- KEYS[3] = the pair sessions' lost set (the user is back: no grace period running),
-- KEYS[4] = the user's pair session key (read after registering: a session that starts later is pushed to this
--           connection, one that started before is in the answer),
-- KEYS[5] = im:chat:connecting:<user>, KEYS[6] = im:chat:onlinein:<user> (the conversations whose online set holds
--           the user, so a disconnect finds them without MongoDB),
-- KEYS[7] = im:chat:leaves:<user> (the user's last room leave, room_leave.lua),
-- KEYS[8] = im:chat:leftrooms:<user> (rooms left recently, each with its leave's value: one left after the memberships
--           were read is not registered, which matters for a forced registration; unforced, none can be),
-- KEYS[9] = im:chat:joinstold:<user> (the rooms whose memberJoined was told for the user's membership, below),
-- KEYS[10..n] = im:chat:online:<conv> for each conversation of the user
-- ARGV[1] = connId, ARGV[2] = node, ARGV[3] = userId,
-- ARGV[4] = the prefix of the online keys (im:chat:online:), ARGV[5] = the node's index (im:chat:node:<node>),
-- ARGV[6] = the set of nodes (im:chat:nodes): the connection is also indexed by its node, so the connections of a node
-- that died without DISCONNECTs can be ended, ARGV[7] = the user's last leave as read before the memberships were
-- (connect_prepare.lua; '' when none), ARGV[8] = '1' to register even if it changed since (the last read allowed)
-- Announcing (ARGV[9] given): if this made the user online, it is announced to each conversation registered, in the
-- same step (done after this script, a failure in between lost the announcements for good: a redelivered CONNECT finds
-- the connection registered already). ARGV[9..17] = what lib/announce.lua needs (prepended): the crowd threshold, the
-- channel prefix, the lobby's id, the frames (memberJoined in the lobby, presence online elsewhere) and the set of
-- crowded conversations (one above the threshold is added there for the periodic count instead). ARGV[18..22] (given
-- with them when a conversation was joined recently): the room frames of memberJoined, and ARGV[23] one character per
-- KEYS[10..n], '1' for a membership joined recently (a minute less than lib/announce.lua's TOLD_TTL, by chat's clock:
-- PresenceRepository.recentJoins). Such a membership's join may not have reached its step (or failed before it: its
-- retry then finds the user in the room's online set, or offline, and tells nothing), so unless KEYS[9] records its
-- join told (lib/announce.lua's told), it is told here, as memberJoined instead of presence online when the user
-- comes online, and when this connection puts an already online user in the room; recorded there as mark_online.lua
-- does. An older membership's join was told
-- long ago (its record has lapsed): the room gets presence online.
-- Returns {-1} if the connection was already closed (its DISCONNECT ran first: a late or redelivered CONNECT must
-- not bring it back); {-2}, changing nothing, if the user left a room since the memberships were read (they may list
-- it: read them again); else {1 if this made the user online or 0, the pair session conv or '', ARGV[7] as a number
-- (0 when none: the welcome states it, and the gateway holds back rooms left later, ADR-31), then the online count of
-- each KEYS[10..n], -1 for one left after the memberships were read (not registered)}. Idempotent on redelivery.
local now = ARGV[18] and now_ms()
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HDEL', KEYS[5], ARGV[1])
  return {-1}
end
if ARGV[8] ~= '1' and (redis.call('GET', KEYS[7]) or '') ~= ARGV[7] then
  return {-2}
end
redis.call('HDEL', KEYS[5], ARGV[1])
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', ARGV[5], ARGV[1], ARGV[3])
redis.call('SADD', ARGV[6], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[3])
local read = tonumber(ARGV[7]) or 0
local result = {0, redis.call('GET', KEYS[4]) or '', read}
if added == 1 and redis.call('HLEN', KEYS[1]) == 1 then
  result[1] = 1
end
for i = 10, #KEYS do
  local conv = string.sub(KEYS[i], #ARGV[4] + 1)
  local left = nil -- unforced, the last leave is unchanged since the read, so no room was left after it
  if ARGV[8] == '1' then
    left = tonumber(redis.call('HGET', KEYS[8], conv) or '')
  end
  if left == nil or left <= read then
    local joined = redis.call('SADD', KEYS[i], ARGV[3])
    redis.call('SADD', KEYS[6], conv)
    local online = redis.call('SCARD', KEYS[i])
    result[#result + 1] = online
    local recent = ARGV[23] and string.sub(ARGV[23], i - 9, i - 9) == '1'
    if recent and (result[1] == 1 or joined == 1) and told(KEYS[9], conv, now) ~= 'j' then
      record_told(KEYS[9], conv, 'j', now)
      announce(conv, online, ARGV, 9, 18)
    elseif result[1] == 1 and ARGV[9] then
      announce(conv, online, ARGV, 9)
    end
  else
    result[#result + 1] = -1
  end
end
return result
