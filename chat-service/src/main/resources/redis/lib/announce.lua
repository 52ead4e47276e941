-- Functions shared by the scripts that announce a change of a user's presence in the step that makes it (prepended
-- to them by RedisScripts.load): announced after the step, a failure in between lost it for good, since a rerun finds
-- the change made already and announces nothing.
-- publish_frame(conv, online, args, i): publishes on conv's channel its frame with online members online.
-- args[i] = the prefix of the conversation channels, args[i + 1] = the lobby's id,
-- args[i + 2] .. online .. args[i + 3] = the lobby's frame,
-- args[i + 4] .. conv .. args[i + 5] .. online .. args[i + 6] = any other room's frame (PresenceFrames, encoded in Java).
local function publish_frame(conv, online, args, i)
  if conv == args[i + 1] then
    redis.call('PUBLISH', args[i] .. conv, args[i + 2] .. online .. args[i + 3])
  else
    redis.call('PUBLISH', args[i] .. conv, args[i + 4] .. conv .. args[i + 5] .. online .. args[i + 6])
  end
end
-- announce(conv, online, args, i): publishes the frame of conv with online members online on its channel, unless more
-- than the crowd threshold are online: then conv is added to the set of crowded conversations whose count changed,
-- and the next crowd flush (crowd_flush.lua) sends the room its count. args[i] = the crowd threshold,
-- args[i + 1 .. i + 7] = what publish_frame needs, args[i + 8] = the set of crowded conversations (im:chat:crowded).
-- Returns true if it published, false for a crowded conversation (marked in this step).
local function announce(conv, online, args, i)
  if online > tonumber(args[i]) then
    redis.call('SADD', args[i + 8], conv)
    return false
  end
  publish_frame(conv, online, args, i + 1)
  return true
end
