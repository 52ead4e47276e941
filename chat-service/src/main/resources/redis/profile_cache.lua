-- Caches a user's profile once MongoDB stored it (ProfileService.record), with its lifetime, in one step: a hash
-- written without its expiry (a failure between two calls) would stay in Redis for good if the user never came back.
-- KEYS[1] = im:chat:profile:<user>
-- ARGV[1] = nickname ('' when none), ARGV[2] = avatarUrl ('' when none), ARGV[3] = lifetime (ms)
redis.call('HSET', KEYS[1], 'stored', '1', 'nickname', ARGV[1], 'avatarUrl', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
