import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Broker tests bind real sockets and spawn real clients; give them room on a 2-core CI box.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: on CI's two cores, one file at a time.
    // The suite mostly waits (sockets, timers, the real brokers and clients it starts), not computes,
    // so three files at a time keep both cores busy (BENCHMARKS.md, the suite's own time).
    maxWorkers: 3,
  },
})
