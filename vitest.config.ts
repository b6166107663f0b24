import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One temporary folder for the run, removed at its end (test/support/run-tmpdir.ts).
    globalSetup: ['test/support/run-tmpdir.ts'],
    // Broker tests bind real sockets and spawn real clients; give them room on a 2-core CI box.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two files at a time on CI's two cores: 9 minutes instead of 11 (BENCHMARKS.md (o)). Runs
    // must not depend on the machine's speed for this: a paced run's clock stops at its end and
    // virtual time waits for connecting devices (test/clock.test.ts, test/hl7-wiring.test.ts).
    maxWorkers: 2,
  },
})
