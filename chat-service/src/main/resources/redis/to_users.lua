-- Delivers to users wherever they are connected, in one round trip (lib/to_users.lua, prepended): for user i, one
-- PUBLISH of ARGV[i + 2] to the channel of every node that holds one of their connections, open or being set up (each
-- node once, however many connections it holds), except the node ARGV[2] ('': none).
-- KEYS[2i - 1]: user i's connections hash (connId -> node); KEYS[2i]: user i's connections being set up (same form).
-- ARGV[1]: the node channel prefix; ARGV[2]: the node to skip; ARGV[i + 2]: user i's message. A user may be listed
-- more than once (with different messages).
-- Returns the number of PUBLISH calls (0: nobody connected).
local messages = {}
for i = 3, #ARGV do
  messages[#messages + 1] = ARGV[i]
end
return to_users(KEYS, ARGV[1], ARGV[2], messages)
