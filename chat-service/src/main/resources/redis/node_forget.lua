-- Forgets a gateway node whose connections were all ended: removes it from the set of nodes if (and only if) its
-- index of connections is empty (a connection registered on it meanwhile keeps it).
-- KEYS[1] = im:chat:node:<node>, KEYS[2] = im:chat:nodes; ARGV[1] = node
-- Returns 1 if forgotten, else 0.
if redis.call('HLEN', KEYS[1]) == 0 then
  return redis.call('SREM', KEYS[2], ARGV[1])
end
return 0
