import type { LoadOptions } from '../../src/bench/load-options.ts'

/** A small, short bench load for tests (2 s, QoS 1, the fleet's own payloads); tests change what they measure. */
export function testLoad(overrides: Partial<LoadOptions> = {}): LoadOptions {
  return {
    devices: 20,
    ratePerDevice: 20,
    qos: 1,
    payload: { type: 'fleet' },
    durationS: 2,
    rampUpS: 0,
    connectRate: 1000,
    gateway: 1,
    workers: 1,
    inflight: 32,
    seed: 'test',
    key: Buffer.alloc(32, 9),
    consumeOutputs: false,
    ...overrides,
  }
}
