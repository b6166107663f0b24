import { describe, expect, it } from 'vitest'
import { decidePublish, decideSubscribe } from '../src/broker/acl.ts'
import type { Identity } from '../src/registry/registry.ts'

const device: Identity = {
  role: 'device',
  name: 'pump-01',
  device: { id: 'pump-01', kind: 'infusion-pump', ward: 'icu', passwordHash: 'x', simulated: false, options: {} },
}
const observer: Identity = { role: 'observer', name: 'obs', anonymous: false }
const anonymous: Identity = { role: 'observer', name: 'anon', anonymous: true }
const operator: Identity = { role: 'operator', name: 'op', anonymous: false }
const admin: Identity = { role: 'admin', name: 'root', anonymous: false }

const OWN = 'hospital/icu/infusion-pump/pump-01'

describe('ACL', () => {
  it.each([
    [device, `${OWN}/telemetry`, true],
    [device, `${OWN}/alarm`, true],
    [device, `${OWN}/status`, true],
    [device, `${OWN}/event`, true],
    [device, `${OWN}/cmd`, false],
    [device, 'hospital/icu/infusion-pump/pump-02/telemetry', false],
    [device, 'hospital/ward2/infusion-pump/pump-01/telemetry', false],
    [device, 'hospital/icu/ventilator/pump-01/telemetry', false],
    [device, `${OWN}/telemetry/extra`, false],
    [device, 'alerts/clinical/icu', false],
    [observer, `${OWN}/telemetry`, false],
    [anonymous, `${OWN}/telemetry`, false],
    [operator, `${OWN}/cmd`, true],
    [operator, `${OWN}/telemetry`, false],
    [operator, 'security/alerts/brute-force', false],
    [admin, `${OWN}/telemetry`, true],
    [admin, 'fhir/Observation', false],
    [admin, '$SYS/broker/uptime', false],
  ] as const)('%# publish by %o to %s → %s', (identity, topic, allowed) => {
    expect(decidePublish(identity, topic).allowed).toBe(allowed)
  })

  it.each([
    [device, `${OWN}/cmd`, true],
    [device, '#', false],
    [device, 'hospital/#', false],
    [device, 'hospital/icu/infusion-pump/+/cmd', false],
    [device, 'hospital/icu/infusion-pump/pump-02/cmd', false],
    [device, '$SYS/#', false],
    [observer, '#', true],
    [observer, 'hospital/#', true],
    [anonymous, 'security/alerts/#', true],
    [observer, '$SYS/#', false],
    [operator, '$SYS/broker/clients', false],
    [admin, '$SYS/#', true],
  ] as const)('%# subscribe by %o to %s → %s', (identity, filter, allowed) => {
    expect(decideSubscribe(identity, filter).allowed).toBe(allowed)
  })

  const LAB = { sandbox: true }
  it.each([
    [anonymous, 'Temperature', true],
    [anonymous, 'mqtt-malaria/loadr/data/1/10000', true],
    [observer, 'lab/notes', true],
    [operator, 'tools/ping', true],
    [anonymous, `${OWN}/telemetry`, false],
    [anonymous, `${OWN}/cmd`, false],
    [anonymous, 'hospital', false],
    [anonymous, 'security/alerts/brute-force', false],
    [anonymous, '$SYS/broker/uptime', false],
    [anonymous, '$topic', false],
    [device, 'Temperature', false],
  ] as const)('%# in the lab sandbox, publish by %o to %s → %s', (identity, topic, allowed) => {
    expect(decidePublish(identity, topic, LAB).allowed).toBe(allowed)
  })

  it('has no sandbox outside the lab profile', () => {
    expect(decidePublish(anonymous, 'Temperature').allowed).toBe(false)
    expect(decidePublish(anonymous, 'Temperature', { sandbox: false }).allowed).toBe(false)
  })

  it('says why a publish is refused', () => {
    const decision = decidePublish(device, 'hospital/icu/infusion-pump/pump-02/telemetry')
    expect(decision).toEqual({ allowed: false, reason: 'outside its own namespace hospital/icu/infusion-pump/pump-01/' })
  })
})
