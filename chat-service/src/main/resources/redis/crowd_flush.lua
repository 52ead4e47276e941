-- One crowd flush (CrowdPresence): pops up to ARGV[1] conversations from the set of crowded conversations whose online
-- count changed (lib/announce.lua adds them in the step that makes the change) and publishes each its online count,
-- read in the same step. Atomic: a room popped is sent its count, so chat instances flushing at once never send one
-- twice, and a mark is not lost with the instance or the answer of the step that made it.
-- KEYS[1] = im:chat:crowded
-- ARGV[1] = how many to pop at most, ARGV[2] = the prefix of the online keys (im:chat:online:),
-- ARGV[3..9] = what lib/announce.lua's publish_frame needs (prepended): the channel prefix, the lobby's id and the
-- online frames.
-- Returns how many conversations it popped (ARGV[1]: call again, there may be more).
local convs = redis.call('SPOP', KEYS[1], tonumber(ARGV[1]))
for _, conv in ipairs(convs) do
  publish_frame(conv, redis.call('SCARD', ARGV[2] .. conv), ARGV, 3, 5)
end
return #convs
