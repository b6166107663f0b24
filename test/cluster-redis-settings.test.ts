import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClusterBackend, connectCluster } from '../src/cluster/redis-backend.ts'
import { startRedis, type RedisServer } from './support/redis.ts'

/** A backend no broker ever used: its emitter is closed here, as a broker's close would (else its connections outlive Redis and throw ECONNREFUSED). */
async function closeUnused(backend: ClusterBackend): Promise<void> {
  const mq = backend.aedes.mq as { close(done: () => void): void }
  await new Promise<void>((resolve) => mq.close(() => resolve()))
  await backend.close()
}

describe('a cluster node reads the Redis settings that decide whether messages can be lost', () => {
  let redis: RedisServer
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => await redis?.stop())

  it("warns at start while Redis may drop a slow node's message stream, and not once the limit is lifted", async () => {
    const atDefaults = await connectCluster(redis.url, 'settings-a')
    await closeUnused(atDefaults)
    expect(atDefaults.warnings).toHaveLength(1)
    expect(atDefaults.warnings[0]).toMatch(/drops a node's message stream once 32 MB wait for it \(client-output-buffer-limit pubsub 33554432 8388608 60\)/)
    expect(atDefaults.warnings[0]).toMatch(/CONFIG SET client-output-buffer-limit "pubsub 0 0 0"/)

    const admin = new Redis(redis.url)
    await admin.config('SET', 'client-output-buffer-limit', 'pubsub 0 0 0')
    await admin.quit()
    const lifted = await connectCluster(redis.url, 'settings-b')
    await closeUnused(lifted)
    expect(lifted.warnings).toEqual([])
  })
})
