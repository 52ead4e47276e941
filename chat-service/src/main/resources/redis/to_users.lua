-- Delivers to users wherever they are connected, in one round trip: for user i, one PUBLISH of ARGV[i + 1] to the
-- channel of every node that holds one of their connections (each node once, however many connections it holds).
-- KEYS[i]: user i's connections hash (connId -> node). ARGV[1]: the node channel prefix; ARGV[i + 1]: user i's message.
-- Returns the number of PUBLISH calls (0: nobody connected).
local published = 0
for i, key in ipairs(KEYS) do
  local seen = {}
  for _, node in ipairs(redis.call('HVALS', key)) do
    if not seen[node] then
      seen[node] = true
      redis.call('PUBLISH', ARGV[1] .. node, ARGV[i + 1])
      published = published + 1
    end
  end
end
return published
