import { describe, expect, it } from 'vitest'
import { createSimClock, createVirtualClock } from '../src/simulation/clock.ts'

describe('simulated clocks', () => {
  it('virtual clock runs tasks in time order, ties in scheduling order, and sets now() to each', async () => {
    const clock = createVirtualClock(1000)
    const log: string[] = []
    clock.at(3000, () => log.push(`c@${clock.now()}`))
    clock.at(2000, () => log.push(`a@${clock.now()}`))
    clock.at(2000, () => {
      log.push(`b@${clock.now()}`)
      clock.at(2500, () => log.push(`d@${clock.now()}`))
    })
    const cancel = clock.at(2200, () => log.push('cancelled'))
    cancel()
    clock.at(9000, () => log.push('too late'))
    await clock.runUntil(5000, { yieldEvery: 500 })
    expect(log).toEqual(['a@2000', 'b@2000', 'd@2500', 'c@3000'])
    expect(clock.now()).toBe(5000)
  })

  it('virtual clock lets the event loop turn between simulated steps', async () => {
    const clock = createVirtualClock(0)
    const order: string[] = []
    clock.at(0, () => setImmediate(() => order.push('io after tick 0')))
    clock.at(2000, () => order.push('tick 2000'))
    await clock.runUntil(3000, { yieldEvery: 1000 })
    expect(order).toEqual(['io after tick 0', 'tick 2000'])
  })

  it('paced clock fires tasks in simulated order at speed × real time', async () => {
    const start = Date.parse('2026-01-01T00:00:00Z')
    const clock = createSimClock({ start, speed: 1000 })
    const fired: number[] = []
    const done = new Promise<void>((resolve) => {
      clock.at(start + 20_000, () => {
        fired.push(20)
        resolve()
      })
    })
    clock.at(start + 10_000, () => fired.push(10))
    await done
    expect(fired).toEqual([10, 20])
    expect(clock.now()).toBeGreaterThanOrEqual(start + 20_000)
    clock.stop()
  })

  it('paced clock with an end stops there: what is due after it never fires, however late the caller looks', async () => {
    const start = Date.parse('2026-01-01T00:00:00Z')
    const end = start + 10_000
    const clock = createSimClock({ start, speed: 1000, until: end })
    const fired: string[] = []
    clock.at(start + 5_000, () => fired.push('before'))
    clock.at(end, () => fired.push('at end'))
    clock.at(end + 1, () => fired.push('after end'))
    // 60 ms of wall time is 60 s simulated: far past the end, as a busy machine's late timer would be.
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(clock.now()).toBe(end)
    clock.runDue(end)
    expect(fired).toEqual(['before', 'at end'])
    clock.stop()
  })
})
