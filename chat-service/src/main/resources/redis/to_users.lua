-- Delivers to users wherever they are connected, in one round trip: for user i, one PUBLISH of ARGV[i + 2] to the
-- channel of every node that holds one of their connections, open or being set up (each node once, however many
-- connections it holds), except the node ARGV[2] ('': none).
-- KEYS[2i - 1]: user i's connections hash (connId -> node); KEYS[2i]: user i's connections being set up (same form).
-- ARGV[1]: the node channel prefix; ARGV[2]: the node to skip; ARGV[i + 2]: user i's message. A user may be listed
-- more than once (with different messages).
-- Returns the number of PUBLISH calls (0: nobody connected).
local published = 0
for i = 1, #KEYS / 2 do
  local seen = {}
  seen[ARGV[2]] = true
  for k = 2 * i - 1, 2 * i do
    for _, node in ipairs(redis.call('HVALS', KEYS[k])) do
      if not seen[node] then
        seen[node] = true
        redis.call('PUBLISH', ARGV[1] .. node, ARGV[i + 2])
        published = published + 1
      end
    end
  end
end
return published
