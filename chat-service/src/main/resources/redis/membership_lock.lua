-- Takes a user's membership lock of one room for a join or leave command (ADR-35), until the command's deadline: a
-- step of it Redis runs later changes nothing anyway (ADR-34's fence), so the lock need not outlive it.
-- KEYS[1] = im:chat:memlock:<user>:<conv>
-- ARGV[1] = the command's token, ARGV[2] = the command's deadline (Redis ms; '' outside a command),
-- ARGV[3] = the lock's lifetime outside a command (ms)
-- Returns 1 if taken (or already held by this token), 0 if another command holds it; fails with LATE past the deadline.
local now = now_ms()
if late(ARGV[2], now) then
  return redis.error_reply('LATE the lock was asked for after its command deadline')
end
local ttl = tonumber(ARGV[3])
if ARGV[2] ~= '' then
  ttl = math.max(1, tonumber(ARGV[2]) - now)
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ttl) then
  return 1
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return 1
end
return 0
