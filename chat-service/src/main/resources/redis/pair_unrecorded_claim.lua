-- Claims an unrecorded pair session for one sweep (UnrecordedPairSweeper): if it is due (its time at or before
-- ARGV[2]), its time moves to ARGV[3], so no other sweep takes it meanwhile and, should this one fail, it comes due
-- again then.
-- KEYS[1] = im:chat:pair:unrecorded; ARGV[1] = conv, ARGV[2] = now (ms), ARGV[3] = the next try (ms).
-- Returns 1 if claimed, 0 if not due (another sweep claimed it, or its accept removed it).
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
return 1
