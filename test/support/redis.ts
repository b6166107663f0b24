// The cluster tests' Redis is the one the bench starts too (src/cluster/local-redis.ts).
export { startLocalRedis as startRedis, type LocalRedis as RedisServer } from '../../src/cluster/local-redis.ts'
