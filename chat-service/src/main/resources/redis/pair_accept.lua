-- ARGV[1] (the target) accepts the request of ARGV[2]: starts the pair session, atomically.
-- KEYS[1] = im:chat:pair:in:<target>, KEYS[2] = im:chat:pair:of:<target>, KEYS[3] = im:chat:pair:of:<from>,
-- KEYS[4] = im:chat:pair:expiries, KEYS[5] = im:chat:conns:<target>, KEYS[6] = im:chat:conns:<from>,
-- KEYS[7] = im:chat:pair:lost, KEYS[8] = im:chat:pair:unrecorded (a started session is entered there, due at ARGV[6]:
-- if its accept never records it in MongoDB and tells both users, a sweep does, UnrecordedPairSweeper)
-- ARGV[1] = target, ARGV[2] = from, ARGV[3] = now (ms), ARGV[4] = key prefix "im:chat:pair:",
-- ARGV[5] = end of the grace period (ms) for a user who is offline as the session starts (either of the two: the
-- requester may have gone, and the accepter's DISCONNECT may have been processed before this accept),
-- ARGV[6] = when a sweep may record and announce the session instead of its accept (ms; past the accept's deadline)
-- Both users' other pending requests (in and out) are removed in the same step, so no waiting entry outlives a
-- pairing. The keys of those other users are derived from ARGV[4] (single Redis or one hash slot: see
-- docs/architecture.md).
-- Optionally (a pairAccept) both sides of each request removed so are told pairRequestClosed busy in the same step, if
-- this call started the session (lib/to_users.lua, prepended; told after this script, following the MongoDB write, a
-- failure in between lost it for good, as a retried accept answers "2|conv" and closes nothing): ARGV[7] = the node
-- channel prefix, ARGV[8], ARGV[9] = the prefixes of a user's connections and connections being set up (their keys
-- derived like the pair keys above), ARGV[10] .. user .. ARGV[11] .. requester .. ARGV[12] .. target .. ARGV[13] = the
-- message telling user that the request requester -> target closed (BusyNews, encoded in Java); the requester is told
-- before the target.
-- Returns "1|conv|closed" (started; closed = comma-separated "requester>target" requests removed),
-- "2|conv" (already started by this very request: an idempotent retry), "none" (no such request, or expired: an
-- expired one stays for the sweeper, pair_expire.lua, which closes it for both users),
-- "busy_self" or "busy_peer".
local prefix = ARGV[4]
local target, from = ARGV[1], ARGV[2]
local value = redis.call('HGET', KEYS[1], from)
if not value then
  local current = redis.call('GET', KEYS[2])
  if current then
    local a, b = unpack(redis.call('HMGET', prefix .. 'session:' .. current, 'a', 'b'))
    if (a == from and b == target) or (a == target and b == from) then
      return '2|' .. current
    end
  end
  return 'none'
end
local sep = string.find(value, '|', 1, true)
local expiresAt = tonumber(string.sub(value, 1, sep - 1))
local conv = string.sub(value, sep + 1)
local function remove(requester, to)
  redis.call('HDEL', prefix .. 'in:' .. to, requester)
  redis.call('HDEL', prefix .. 'out:' .. requester, to)
  redis.call('ZREM', KEYS[4], requester .. '|' .. to)
end
if expiresAt <= tonumber(ARGV[3]) then
  -- left for the sweeper, which tells both users it expired (removed here, the requester was never told)
  return 'none'
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  remove(from, target)
  return 'busy_self'
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  remove(from, target)
  return 'busy_peer'
end
local closed, nodeKeys, messages = {}, {}, {}
local function close(requester, to)
  table.insert(closed, requester .. '>' .. to)
  if ARGV[7] then
    for _, user in ipairs({requester, to}) do
      nodeKeys[#nodeKeys + 1] = ARGV[8] .. user
      nodeKeys[#nodeKeys + 1] = ARGV[9] .. user
      messages[#messages + 1] = ARGV[10] .. user .. ARGV[11] .. requester .. ARGV[12] .. to .. ARGV[13]
    end
  end
end
for _, user in ipairs({target, from}) do
  for _, requester in ipairs(redis.call('HKEYS', prefix .. 'in:' .. user)) do
    remove(requester, user)
    if not (requester == from and user == target) then
      close(requester, user)
    end
  end
  for _, to in ipairs(redis.call('HKEYS', prefix .. 'out:' .. user)) do
    remove(user, to)
    if not (user == from and to == target) then
      close(user, to)
    end
  end
end
redis.call('SET', KEYS[2], conv)
redis.call('SET', KEYS[3], conv)
redis.call('HSET', prefix .. 'session:' .. conv, 'a', from, 'b', target, 'startedAt', ARGV[3])
redis.call('ZADD', KEYS[8], ARGV[6], conv)
if redis.call('HLEN', KEYS[5]) == 0 then
  redis.call('ZADD', KEYS[7], 'NX', ARGV[5], target)
end
if redis.call('HLEN', KEYS[6]) == 0 then
  redis.call('ZADD', KEYS[7], 'NX', ARGV[5], from)
end
if #messages > 0 then
  to_users(nodeKeys, ARGV[7], '', messages)
end
return '1|' .. conv .. '|' .. table.concat(closed, ',')
