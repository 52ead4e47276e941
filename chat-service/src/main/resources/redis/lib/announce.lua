-- Functions shared by the scripts that announce a change of a user's presence in the step that makes it (prepended
-- to them by RedisScripts.load): announced after the step, a failure in between lost it for good, since a rerun finds
-- the change made already and announces nothing.
-- publish_frame(conv, online, args, i, f): publishes on conv's channel its frame with online members online.
-- args[i] = the prefix of the conversation channels, args[i + 1] = the lobby's id, args[f] .. online .. args[f + 1] =
-- the lobby's frame, args[f + 2] .. conv .. args[f + 3] .. online .. args[f + 4] = any other room's frame
-- (PresenceFrames, encoded in Java).
local function publish_frame(conv, online, args, i, f)
  if conv == args[i + 1] then
    redis.call('PUBLISH', args[i] .. conv, args[f] .. online .. args[f + 1])
  else
    redis.call('PUBLISH', args[i] .. conv, args[f + 2] .. conv .. args[f + 3] .. online .. args[f + 4])
  end
end
-- announce(conv, online, args, i[, f]): publishes the frame of conv with online members online on its channel, unless
-- more than the crowd threshold are online: then conv is added to the set of crowded conversations whose count
-- changed, and the next crowd flush (crowd_flush.lua) sends the room its count. args[i] = the crowd threshold,
-- args[i + 1], args[i + 2] = the channel prefix and the lobby's id, args[i + 3 .. i + 7] = the frames (or args[f ..
-- f + 4], given: another set of frames for the same rooms), args[i + 8] = the set of crowded conversations
-- (im:chat:crowded).
-- Returns true if it published, false for a crowded conversation (marked in this step).
local function announce(conv, online, args, i, f)
  if online > tonumber(args[i]) then
    redis.call('SADD', args[i + 8], conv)
    return false
  end
  publish_frame(conv, online, args, i + 1, f or i + 3)
  return true
end
-- What was told of a user's membership of a room, recorded per user in im:chat:joinstold:<user> (a hash conv ->
-- 'j:<until ms>' or 'l:<until ms>'), so each join and each leave is told once however attempts, retries and connects
-- interleave: 'j' its memberJoined was told, 'l' its memberLeft was; a record is kept TOLD_TTL (longer than a
-- command's attempts can come) and an older one counts as none (the hash's own expiry only bounds its memory).
local TOLD_TTL = 600000
local function now_ms()
  local t = redis.call('TIME') -- allowed in a script that writes: scripts replicate their effects (Redis 5+ default)
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- late(not_after, now): true when this step runs after its command's deadline (not_after, Redis milliseconds; '' for
-- a step outside a command: never late). Such a step is stale: its command gave up at the deadline, its gateway
-- answers the client unavailable and the client's retry may have done the work already, and the user moved on since
-- (a leave finished by its retry, then a rejoin); it must change nothing (ADR-34).
local function late(not_after, now)
  return not_after ~= '' and now > tonumber(not_after)
end
-- told(key, conv, now): 'j', 'l' or nil (nothing recorded, or the record lapsed).
local function told(key, conv, now)
  local v = redis.call('HGET', key, conv)
  if not v then
    return nil
  end
  local untilMs = tonumber(string.sub(v, 3))
  if untilMs == nil or untilMs <= now then
    return nil
  end
  return string.sub(v, 1, 1)
end
-- record_told(key, conv, state, now): records state ('j' or 'l') for conv until now + TOLD_TTL.
local function record_told(key, conv, state, now)
  redis.call('HSET', key, conv, state .. ':' .. string.format('%d', now + TOLD_TTL))
  redis.call('PEXPIRE', key, TOLD_TTL)
end
