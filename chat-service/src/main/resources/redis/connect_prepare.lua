-- What a CONNECT reads before its memberships, in one round trip: whether the connection already closed (its
-- DISCONNECT ran: nothing left to do) and the user's cached profile (a Mongo write only if it changed).
-- KEYS[1] = im:chat:closed:<connId>, KEYS[2] = im:chat:profile:<user>
-- Returns {closed ('1' or '0'), stored ('1' or ''), nickname, avatarUrl}
local closed = redis.call('EXISTS', KEYS[1])
local p = redis.call('HMGET', KEYS[2], 'stored', 'nickname', 'avatarUrl')
return {tostring(closed), p[1] or '', p[2] or '', p[3] or ''}
