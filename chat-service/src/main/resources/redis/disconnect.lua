-- Removes one connection of a user, atomically with the user's online sets.
-- KEYS[1] = im:chat:conns:<user>, KEYS[2] = im:chat:closed:<connId>, KEYS[3] = im:chat:lastseen:<user>,
-- KEYS[4] = im:chat:connecting:<user> (a connection whose connect never completed is removed from there),
-- KEYS[5] = im:chat:onlinein:<user> (the conversations whose online set holds the user),
-- KEYS[6] = im:chat:pair:of:<user>, KEYS[7] = im:chat:pair:lost,
-- KEYS[8..n] = im:chat:online:<conv> of the user's conversations as MongoDB lists them (none if it could not be read)
-- ARGV[1] = connId, ARGV[2] = userId, ARGV[3] = tombstone TTL in seconds, ARGV[4] = now (ms), ARGV[5] = the prefix of
-- the online keys (im:chat:online:), ARGV[6] = the connection's node's index (im:chat:node:<node>): the connection
-- leaves it too, ARGV[7] = the end of a pair session's grace period (ms) if the user goes offline now, ARGV[8] = how
-- long the user's last seen time is kept (ms: Redis keeps what it holds of a user for the users active lately)
-- A user in a pair session who goes offline here gets the grace period in the same step (kept if already running):
-- done after this script (pair_mark_lost.lua, removed), a failure in between left the session active for good, since
-- a rerun finds the user offline already and changes nothing; and it never starts for a user who is online.
-- Leaves a tombstone so a CONNECT of this connection processed later (reordered or redelivered) is ignored. On the
-- user's last connection, the user leaves the online sets of KEYS[8..n] and of every conversation in KEYS[5] (derived
-- from the prefix: with MongoDB unreachable, KEYS[5] alone finds them).
-- Announcing (ARGV[9] given): the user going offline is announced to each conversation cleaned, in the same step (done
-- after this script, a failure in between lost the announcements for good: a rerun finds the user offline already).
-- ARGV[9..17] = what lib/announce.lua needs (prepended): the crowd threshold, the channel prefix, the lobby's id, the
-- frames (memberLeft in the lobby, presence offline elsewhere) and the set of crowded conversations (one above the
-- threshold is added there for the periodic count instead).
-- Returns {1, n, the n conversations whose online sets it cleaned...} if this made the user offline (and records the
-- time as last seen), else {0}. Idempotent.
redis.call('SET', KEYS[2], '1', 'EX', tonumber(ARGV[3]))
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HDEL', ARGV[6], ARGV[1])
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then
  local cleaned, seen = {}, {}
  local function clean(conv)
    if not seen[conv] then
      seen[conv] = true
      redis.call('SREM', ARGV[5] .. conv, ARGV[2])
      cleaned[#cleaned + 1] = conv
    end
  end
  for i = 8, #KEYS do
    clean(string.sub(KEYS[i], #ARGV[5] + 1))
  end
  for _, conv in ipairs(redis.call('SMEMBERS', KEYS[5])) do
    clean(conv)
  end
  redis.call('DEL', KEYS[5])
  if removed == 1 then
    redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[8])
    if redis.call('EXISTS', KEYS[6]) == 1 then
      redis.call('ZADD', KEYS[7], 'NX', ARGV[7], ARGV[2])
    end
    local result = {1, #cleaned}
    for _, conv in ipairs(cleaned) do
      result[#result + 1] = conv
    end
    if ARGV[9] then
      for _, conv in ipairs(cleaned) do
        announce(conv, redis.call('SCARD', ARGV[5] .. conv), ARGV, 9)
      end
    end
    return result
  end
end
return {0}
