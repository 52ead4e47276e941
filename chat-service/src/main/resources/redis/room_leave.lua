-- A user left a room (the membership is already removed from MongoDB): out of the room's online set (and the record of
-- it, first: a stale record is harmless, an untracked set is not), and the user's last leave set to the next value of
-- the global leave sequence in the same step. A connect that read the memberships before the removal either
-- registered before this (its SADD is undone here) or sees the user's last leave changed in connect.lua and reads them
-- again; it cannot put the user back in the set. Values never repeat (the sequence does not expire), so a lapsed key
-- cannot make an old value look current.
-- KEYS[1] = im:chat:onlinein:<user>, KEYS[2] = im:chat:online:<conv>, KEYS[3] = im:chat:leaves:<user>,
-- KEYS[4] = im:chat:leaveseq, KEYS[5] = im:chat:leftrooms:<user> (the room's entry set to the same value, so a forced
-- registration in connect.lua can leave this room out), KEYS[6] = im:chat:joinstold:<user> (what was told of the
-- user's memberships, lib/announce.lua's told: a leave records its memberLeft told, an undone join removes the room)
-- ARGV[1] = userId, ARGV[2] = conv, ARGV[3] = lifetime of KEYS[3] (ms): longer than any connect takes,
-- ARGV[4] = '0' for a member's leave;
--           '1' to finish a leave whose membership was already gone: only if the user is still recorded online in
--           the room (its earlier attempt removed the membership, then failed before this); else, if the room is
--           among the user's recently left rooms (KEYS[5]: an earlier attempt did this step; a finishing one publishes
--           its unsubscribe after it, which may have failed), nothing changes and that leave's value is answered, so
--           the caller publishes it again; else (the earlier attempt never got here, and the user's connections
--           changed since) the whole step, if its join was told (KEYS[6]: 'j'), else nothing changes;
--           '2' to undo a join refused at the room limit (its membership inserted, then removed): always, so a connect
--           that read the memberships while it existed reads them again (connect.lua) instead of registering the room
-- ARGV[5] = the command's deadline (Redis ms; '' outside a command): a step run after it changes nothing and fails
-- (lib/announce.lua's late): a member's leave whose step came after its retry finished it and the user joined again
-- would take the member out of the online set, tell memberLeft and unsubscribe the user's gateways.
-- Telling (ARGV[6] given): the leave is told in this step (told after it, a failure in between lost it for good, as a
-- retried leave finds no membership and only finishes what Redis still records), in this order: the room's memberLeft (ARGV[6..14] = what
-- lib/announce.lua needs, prepended: the crowd threshold, the channel prefix, the lobby's id, the frames and the set of
-- crowded conversations, where a room above the threshold is added for the periodic count instead), unless KEYS[6]
-- records this leave told (a retry, or an earlier attempt's step, told it: once, whatever the user's connections did since) or,
-- undoing a refused join, unless its join was never told; then, for a member's leave (ARGV[15] given; the
-- other modes publish their unsubscribe after the step, once MongoDB says the user is not a member again), to every
-- gateway of the user (lib/to_users.lua, prepended; KEYS[7], KEYS[8] = the user's connections and connections being
-- set up, ARGV[15] = the node channel prefix) the unsubscribe stating this leave's value (ARGV[16] .. value ..
-- ARGV[17]), then ARGV[18] (left to the user's other connections): on each gateway after the unsubscribe, so those
-- connections stop receiving the room before they are told.
-- Returns {the room's online count, the user's last leave now, or the earlier leave's value (0: nothing to do)}. Not
-- idempotent: a second run takes a new value (a connect in progress then reads once more).
local now = now_ms()
if late(ARGV[5], now) then
  return redis.error_reply('LATE this step came after its command deadline')
end
if ARGV[4] == '1' and redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 0 then
  local earlier = tonumber(redis.call('HGET', KEYS[5], ARGV[2]) or '0')
  -- unless the earlier attempt never got to its step (no recent leave of the room), the user's connections changed
  -- since (not recorded online in it) and its join was told: then the whole step below runs, telling that leave and
  -- taking a new last leave (a connect in progress that read the membership reads again)
  if earlier ~= 0 or not ARGV[6] or told(KEYS[6], ARGV[2], now) ~= 'j' then
    return {redis.call('SCARD', KEYS[2]), earlier}
  end
end
redis.call('SREM', KEYS[1], ARGV[2])
redis.call('SREM', KEYS[2], ARGV[1])
local tell
if ARGV[4] == '2' then -- a refused join: its memberLeft only if its join was told (a connect registered it)
  tell = told(KEYS[6], ARGV[2], now) == 'j'
  redis.call('HDEL', KEYS[6], ARGV[2])
elseif ARGV[6] then -- a leave: told once, not again by a retry or a slow attempt's step
  tell = told(KEYS[6], ARGV[2], now) ~= 'l'
  record_told(KEYS[6], ARGV[2], 'l', now)
end
local leave = redis.call('INCR', KEYS[4])
redis.call('SET', KEYS[3], leave, 'PX', ARGV[3])
redis.call('HSET', KEYS[5], ARGV[2], leave)
redis.call('PEXPIRE', KEYS[5], ARGV[3])
local online = redis.call('SCARD', KEYS[2])
if ARGV[6] and tell then
  announce(ARGV[2], online, ARGV, 6)
end
if ARGV[15] then
  to_users({KEYS[7], KEYS[8], KEYS[7], KEYS[8]}, ARGV[15], '', {ARGV[16] .. string.format('%d', leave) .. ARGV[17], ARGV[18]})
end
return {online, leave}
