-- A function shared by the scripts that deliver to users (prepended to them by RedisScripts.load): delivering in the
-- step that makes a change means a failure after the change cannot lose what it announces (as two steps could).
-- to_users(nodeKeys, prefix, skip, messages): for user i, one PUBLISH of messages[i] to the channel prefix .. node of
-- every node that holds one of their connections, open or being set up (each node once, however many connections it
-- holds), except the node skip ('': none). nodeKeys[2i - 1]: user i's connections hash (connId -> node);
-- nodeKeys[2i]: user i's connections being set up (same form). A user may be listed more than once.
-- Returns the number of PUBLISH calls (0: nobody connected).
local function to_users(nodeKeys, prefix, skip, messages)
  local published = 0
  for i = 1, #messages do
    local seen = {}
    seen[skip] = true
    for k = 2 * i - 1, 2 * i do
      for _, node in ipairs(redis.call('HVALS', nodeKeys[k])) do
        if not seen[node] then
          seen[node] = true
          redis.call('PUBLISH', prefix .. node, messages[i])
          published = published + 1
        end
      end
    end
  end
  return published
end
