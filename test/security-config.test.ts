import { describe, expect, it } from 'vitest'
import { securityConfig } from '../src/security/config.ts'
import type { DetectorDefinition } from '../src/security/detector.ts'
import { DETECTORS } from '../src/security/detectors/index.ts'

describe('security configuration', () => {
  it('fills every threshold with its documented default, and every type is alert-only', () => {
    const config = securityConfig()
    expect(config.bruteForce).toEqual({ windowMs: 60_000, perAddress: 10, perUsername: 10 })
    expect(config.slowDos.extremeKeepaliveSeconds).toBe(1200)
    expect(config.distributedFlood.minClients).toBe(3)
    expect(config.response).toEqual({})
  })

  it('keeps what is given and fills the rest, block responses included', () => {
    const config = securityConfig({ bruteForce: { perAddress: 3 }, response: { 'brute-force': { action: 'block' } } })
    expect(config.bruteForce).toEqual({ windowMs: 60_000, perAddress: 3, perUsername: 10 })
    expect(config.response['brute-force']).toEqual({ action: 'block', by: 'address', banMs: 300_000 })
  })

  it('refuses a threshold that would silently disable a detector, an unknown key, or an unknown alert type', () => {
    expect(() => securityConfig({ bruteForce: { perAddress: 0 } })).toThrow()
    expect(() => securityConfig({ bruteforce: {} } as never)).toThrow()
    expect(() => securityConfig({ response: { 'brute-farce': { action: 'block' } } } as never)).toThrow()
  })

  it("holds every registered detector's thresholds under its key, from the detector's own schema", () => {
    const config = securityConfig() as unknown as Record<string, unknown>
    const configured = (DETECTORS as readonly DetectorDefinition[]).filter((d) => d.configKey)
    expect(configured.map((d) => d.configKey)).toEqual([
      'bruteForce',
      'connectFlood',
      'publishFlood',
      'distributedFlood',
      'slowDos',
      'malformedPacket',
      'malformedPayload',
      'replay',
      'falseData',
    ])
    for (const detector of configured) if (detector.configKey) expect(config[detector.configKey]).toEqual(detector.config.parse({}))
  })
})
