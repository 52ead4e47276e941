-- The pair session ARGV[1] is recorded in MongoDB (by its accept, PairCommands, or a sweep, UnrecordedPairSweeper):
-- tells both users pairStarted and takes it off the sweep's list, in one step, only while the session is still active
-- for both (a session that ended while it was being recorded, its peer told pairEnded, is not announced as started
-- after that). Either way the entry goes.
-- KEYS[1] = im:chat:pair:unrecorded, KEYS[2] = im:chat:pair:of:<requester>, KEYS[3] = im:chat:pair:of:<accepter>,
-- KEYS[4..7] = the requester's and the accepter's connections and connections being set up (lib/to_users.lua,
-- prepended); ARGV[1] = conv, ARGV[2] = the node channel prefix, ARGV[3], ARGV[4] = the requester's and the
-- accepter's message.
-- Returns 1 if told, 0 if the session had ended.
local told = 0
if redis.call('GET', KEYS[2]) == ARGV[1] and redis.call('GET', KEYS[3]) == ARGV[1] then
  to_users({KEYS[4], KEYS[5], KEYS[6], KEYS[7]}, ARGV[2], '', {ARGV[3], ARGV[4]})
  told = 1
end
redis.call('ZREM', KEYS[1], ARGV[1])
return told
