-- Releases a user's membership lock of one room (membership_lock.lua) if this command's token still holds it; one
-- that lapsed at its deadline and was taken by another command is left alone.
-- KEYS[1] = im:chat:memlock:<user>:<conv>
-- ARGV[1] = the command's token
-- Returns 1 if released, 0 if not held by this token.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
