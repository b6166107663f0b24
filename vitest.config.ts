import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Broker tests bind real sockets and spawn real clients; give them room on a 2-core CI box.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: on CI's two cores, one file at a time,
    // with the cores 0.95 busy on average (most files wait on sockets, timers and the processes they
    // start). Two at a time use both. Three finished sooner but failed load-sensitive files (the
    // 5,000-device storm, the 100,000-case fuzz, a paced 300x run) on a loaded machine.
    maxWorkers: 2,
  },
})
