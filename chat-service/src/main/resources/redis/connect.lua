-- Completes a connect registered by connect_prepare.lua, once the user's memberships are known: atomically the
-- user's online sets, the profile and the end of any pair grace period; reads what the welcome needs.
-- KEYS[1] = im:chat:profile:<user>, KEYS[2] = im:chat:closed:<connId>,
-- KEYS[3] = the pair sessions' lost set (the user is back: no grace period running),
-- KEYS[4] = the user's pair session key (read after registering: a session that starts later is pushed to this
--           connection, one that started before is in the answer),
-- KEYS[5..n] = im:chat:online:<conv> for each conversation of the user
-- ARGV[1] = nickname, ARGV[2] = avatarUrl ('' when none), ARGV[3] = userId
-- Returns {-1} if the connection closed meanwhile (its DISCONNECT ran: a late or redelivered CONNECT must not bring
-- it back); else {1, the pair session conv or '', then the online count of each KEYS[5..n]}. Idempotent on
-- redelivery.
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {-1}
end
redis.call('HSET', KEYS[1], 'nickname', ARGV[1], 'avatarUrl', ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[3])
local result = {1, redis.call('GET', KEYS[4]) or ''}
for i = 5, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[3])
  result[#result + 1] = redis.call('SCARD', KEYS[i])
end
return result
