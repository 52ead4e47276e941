-- A function shared by the scripts that announce a change of a user's presence in the step that makes it (prepended
-- to them by RedisScripts.load): announced after the step, a failure in between lost it for good, since a rerun finds
-- the change made already and announces nothing.
-- announce(conv, online, args, i): publishes the frame of conv with online members online on its channel, unless more
-- than the crowd threshold are online (CrowdPresence sends those rooms a count). args[i] = the crowd threshold,
-- args[i + 1] = the prefix of the conversation channels, args[i + 2] = the lobby's id,
-- args[i + 3] .. online .. args[i + 4] = the lobby's frame,
-- args[i + 5] .. conv .. args[i + 6] .. online .. args[i + 7] = any other room's frame (PresenceFrames, encoded in Java).
-- Returns true if it published, false for a crowded conversation (the caller returns it to be marked).
local function announce(conv, online, args, i)
  if online > tonumber(args[i]) then
    return false
  end
  if conv == args[i + 2] then
    redis.call('PUBLISH', args[i + 1] .. conv, args[i + 3] .. online .. args[i + 4])
  else
    redis.call('PUBLISH', args[i + 1] .. conv, args[i + 5] .. conv .. args[i + 6] .. online .. args[i + 7])
  end
  return true
end
