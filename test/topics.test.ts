import { describe, expect, it } from 'vitest'
import { deviceTopic, filterCovers, isOutputTopic, parseDeviceTopic, topicMatches } from '../src/contract/topics.ts'

describe('topic contract', () => {
  it('builds and parses device topics', () => {
    const t = { ward: 'icu', kind: 'bedside-monitor', deviceId: 'mon-01', channel: 'telemetry' as const }
    expect(deviceTopic(t)).toBe('hospital/icu/bedside-monitor/mon-01/telemetry')
    expect(parseDeviceTopic(deviceTopic(t))).toEqual(t)
  })

  it('rejects topics outside the contract', () => {
    expect(parseDeviceTopic('hospital/icu/bedside-monitor/mon-01')).toBeNull()
    expect(parseDeviceTopic('hospital/icu/bedside-monitor/mon-01/telemetry/extra')).toBeNull()
    expect(parseDeviceTopic('hospital/icu/bedside-monitor/mon-01/gossip')).toBeNull()
    expect(parseDeviceTopic('clinic/icu/bedside-monitor/mon-01/telemetry')).toBeNull()
    expect(parseDeviceTopic('hospital//bedside-monitor/mon-01/telemetry')).toBeNull()
  })

  it('matches filters per MQTT 3.1.1 §4.7', () => {
    expect(topicMatches('hospital/#', 'hospital/icu/x/y/telemetry')).toBe(true)
    expect(topicMatches('hospital/#', 'hospital')).toBe(true)
    expect(topicMatches('hospital/+/+/+/cmd', 'hospital/icu/pump/p1/cmd')).toBe(true)
    expect(topicMatches('hospital/+/+/+/cmd', 'hospital/icu/pump/p1/telemetry')).toBe(false)
    expect(topicMatches('#', '$SYS/broker/uptime')).toBe(false)
    expect(topicMatches('+/broker/uptime', '$SYS/broker/uptime')).toBe(false)
    expect(topicMatches('$SYS/#', '$SYS/broker/uptime')).toBe(true)
  })

  it('decides whether one filter stays inside another', () => {
    expect(filterCovers('hospital/#', 'hospital/icu/#')).toBe(true)
    expect(filterCovers('hospital/#', '#')).toBe(false)
    expect(filterCovers('hospital/icu/pump/p1/cmd', 'hospital/icu/pump/p1/cmd')).toBe(true)
    expect(filterCovers('hospital/icu/pump/p1/cmd', 'hospital/icu/pump/+/cmd')).toBe(false)
    expect(filterCovers('hospital/+/+/+/telemetry', 'hospital/icu/+/+/telemetry')).toBe(true)
    expect(filterCovers('alerts/#', 'alerts')).toBe(true)
  })

  it('knows the pipeline output roots', () => {
    expect(isOutputTopic('alerts/clinical/icu')).toBe(true)
    expect(isOutputTopic('security/alerts/brute-force')).toBe(true)
    expect(isOutputTopic('hospital/icu/x/y/telemetry')).toBe(false)
  })
})
