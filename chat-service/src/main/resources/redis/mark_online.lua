-- Adds a user to a conversation's online set only while the user has an open connection (a join racing the
-- user's last disconnect must not leave a ghost), and the conversation to the user's online-in set (disconnect.lua).
-- A join takes the room out of the user's recently left rooms (connect.lua leaves those out of a forced registration).
-- KEYS[1] = im:chat:conns:<user>, KEYS[2] = im:chat:online:<conv>, KEYS[3] = im:chat:onlinein:<user>,
-- KEYS[4] = im:chat:leftrooms:<user>, KEYS[5] = im:chat:joinstold:<user> (what was told of the user's memberships:
-- lib/announce.lua's told)
-- ARGV[1] = userId, ARGV[2] = conv, ARGV[3] = the command's deadline (Redis ms; '' outside a command): a step run after
-- it changes nothing and fails (lib/announce.lua's late).
-- Announcing (ARGV[4] given, a join): the join is announced to the room in this step (done after it, a failure in
-- between lost it for good), once per membership (unless KEYS[5] records its join told), if this step added the user to the
-- online set (a retry whose earlier attempt inserted the membership but failed before this step announces it) or
-- ARGV[4] = '1' (this attempt inserted the membership: also told when the user was put in the online set otherwise,
-- by a connect that came online with it, or is not connected; not again when a connect of another device told it
-- first, or another attempt's step did). ARGV[5..13] = what lib/announce.lua needs (prepended): the crowd threshold,
-- the channel prefix, the lobby's id, the frames (memberJoined) and the set of crowded conversations (a room above the
-- threshold is added there for the periodic count instead).
-- ARGV[4] = 'c' (a room's creator, told by its own joined answer; no one else is in the room): the join is recorded
-- told, unless something is recorded (a retried create after a leave and a rejoin whose step is still to come), and
-- not announced, so a connect of the creator does not tell it (connect.lua).
-- Returns {the online count, 1 if announced, 2 if the room is crowded (marked for the count instead), else 0}.
local now = now_ms()
if late(ARGV[3], now) then
  return redis.error_reply('LATE this step came after its command deadline')
end
redis.call('HDEL', KEYS[4], ARGV[2])
local added = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  added = redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('SADD', KEYS[3], ARGV[2])
end
local online = redis.call('SCARD', KEYS[2])
local announced = 0
if ARGV[4] == 'c' then
  if told(KEYS[5], ARGV[2], now) == nil then
    record_told(KEYS[5], ARGV[2], 'j', now)
  end
elseif ARGV[4] and (added == 1 or ARGV[4] == '1') and told(KEYS[5], ARGV[2], now) ~= 'j' then
  record_told(KEYS[5], ARGV[2], 'j', now)
  announced = announce(ARGV[2], online, ARGV, 5) and 1 or 2
end
return {online, announced}
