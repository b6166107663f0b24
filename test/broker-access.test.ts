import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import type { Lab } from '../src/lab/lab.ts'
import { closed, connectAs, connectDevice, envelope, nextMessage, startTestLab } from './support/lab.ts'

const TELEMETRY_01 = 'hospital/icu/bedside-monitor/mon-01/telemetry'
const TELEMETRY_02 = 'hospital/icu/bedside-monitor/mon-02/telemetry'

describe('broker access control (lab profile)', () => {
  let lab: Lab
  let watcher: MqttClient

  beforeAll(async () => {
    lab = await startTestLab('lab')
    watcher = await connectAs(lab, { clientId: 'test-watcher' })
    await watcher.subscribeAsync(['hospital/#', 'security/alerts/#'], { qos: 1 })
  })

  afterAll(async () => {
    await watcher?.endAsync()
    await lab?.stop()
  })

  it('lets a registered device connect and publish, and an anonymous observer receive it', async () => {
    const device = await connectDevice(lab, 'mon-01')
    const received = nextMessage(watcher, (t) => t === TELEMETRY_01)
    await device.publishAsync(TELEMETRY_01, envelope('mon-01', 0), { qos: 1 })
    const message = await received
    expect(JSON.parse(message.payload.toString())).toMatchObject({ deviceId: 'mon-01', seq: 0 })
    await device.endAsync()
  })

  it('refuses a wrong password with CONNACK 4 and reports it', async () => {
    const alert = nextMessage(watcher, (t) => t === 'security/alerts/auth-failure')
    await expect(connectAs(lab, { clientId: 'mon-01', username: 'mon-01', password: 'guess' })).rejects.toMatchObject({ code: 4 })
    expect(JSON.parse((await alert).payload.toString())).toMatchObject({ type: 'auth-failure', username: 'mon-01', evidence: { reason: 'wrong-password' } })
  })

  it('refuses a username without a password as an auth-bypass attempt', async () => {
    const alert = nextMessage(watcher, (t) => t === 'security/alerts/auth-bypass')
    await expect(connectAs(lab, { clientId: 'mon-02', username: 'mon-02' })).rejects.toMatchObject({ code: 4 })
    expect(JSON.parse((await alert).payload.toString())).toMatchObject({
      type: 'auth-bypass',
      severity: 'high',
      evidence: { reason: 'missing-password', claimsDevice: true },
    })
  })

  it("refuses a device connecting under another device's client id", async () => {
    await expect(connectAs(lab, { clientId: 'mon-02', username: 'mon-01', password: 'mon-01-secret' })).rejects.toMatchObject({ code: 2 })
  })

  it("disconnects a device publishing on another device's topic and raises topic-spoofing", async () => {
    const device = await connectDevice(lab, 'mon-01')
    const alert = nextMessage(watcher, (t) => t === 'security/alerts/topic-spoofing')
    const gone = closed(device)
    device.publish(TELEMETRY_02, envelope('mon-02', 0), { qos: 0 })
    await gone
    const body = JSON.parse((await alert).payload.toString())
    expect(body).toMatchObject({
      type: 'topic-spoofing',
      severity: 'high',
      state: 'open',
      clientId: 'mon-01',
      deviceId: 'mon-01',
      evidence: { topic: TELEMETRY_02 },
    })
    expect(body).toHaveProperty('firstSeen')
    expect(body).toHaveProperty('count', 1)
    device.end(true)
  })

  it('remembers only where a device may publish: after many allowed publishes, one on another device’s topic is still refused', async () => {
    // The hook remembers a device's allowed topics (authorize-publish.ts, AllowedTopics); a refusal is decided afresh every time.
    const device = await connectDevice(lab, 'mon-01')
    for (let seq = 0; seq < 5; seq++) await device.publishAsync(TELEMETRY_01, envelope('mon-01', seq), { qos: 1 })
    const denied = lab.signals.counts.get('publish-denied') ?? 0
    const gone = closed(device)
    device.publish(TELEMETRY_02, envelope('mon-02', 0), { qos: 0 })
    await gone
    expect(lab.signals.counts.get('publish-denied')).toBe(denied + 1)
    device.end(true)
  })

  it('answers a device subscribing to # with SUBACK 128 and raises wildcard-snooping', async () => {
    const device = await connectDevice(lab, 'mon-02')
    const alert = nextMessage(watcher, (t) => t === 'security/alerts/wildcard-snooping')
    // mqtt.js turns SUBACK 0x80 into an error carrying the return code (MQTT 3.1.1 §3.9.3).
    await expect(device.subscribeAsync('#', { qos: 0 })).rejects.toMatchObject({ packet: { cmd: 'suback', granted: [128] } })
    expect(device.connected).toBe(true)
    const own = await device.subscribeAsync('hospital/icu/bedside-monitor/mon-02/cmd', { qos: 1 })
    expect(own[0]?.qos).toBe(1)
    expect(JSON.parse((await alert).payload.toString())).toMatchObject({ type: 'wildcard-snooping', deviceId: 'mon-02', evidence: { filter: '#' } })
    await device.endAsync()
  })

  it('closes an anonymous client that publishes to a device topic and raises an alert', async () => {
    const anonymous = await connectAs(lab, { clientId: 'curious-anon' })
    const alert = nextMessage(watcher, (t) => t === 'security/alerts/topic-spoofing')
    const gone = closed(anonymous)
    anonymous.publish(TELEMETRY_01, envelope('mon-01', 99), { qos: 1 })
    await gone
    expect(JSON.parse((await alert).payload.toString())).toMatchObject({ clientId: 'curious-anon', evidence: { role: 'observer', anonymous: true } })
    anonymous.end(true)
  })

  it('lets an anonymous client publish on a plain topic outside hospital/ (the lab sandbox) without an alert', async () => {
    const deniedBefore = lab.signals.counts.get('publish-denied') ?? 0
    const alertsBefore = lab.monitor.totalAlerts()
    const sensor = await connectAs(lab, { clientId: 'mqttset-like-sensor' })
    await sensor.subscribeAsync('Temperature', { qos: 1 })
    const echoed = nextMessage(sensor, (t) => t === 'Temperature')
    await sensor.publishAsync('Temperature', '21', { qos: 1 })
    expect((await echoed).payload.toString()).toBe('21')
    expect(lab.signals.counts.get('publish-denied') ?? 0).toBe(deniedBefore)
    expect(lab.monitor.totalAlerts()).toBe(alertsBefore)
    await sensor.endAsync()
  })

  it("refuses an anonymous client that borrows a device's client id", async () => {
    await expect(connectAs(lab, { clientId: 'mon-01' })).rejects.toMatchObject({ code: 2 })
  })

  it('lets an operator send a command to a device, and the device receive it', async () => {
    const device = await connectDevice(lab, 'mon-01')
    await device.subscribeAsync('hospital/icu/bedside-monitor/mon-01/cmd', { qos: 1 })
    const operator = await connectAs(lab, { clientId: 'console-1', username: 'nurse-op', password: 'operator-secret' })
    const got = nextMessage(device, (t) => t.endsWith('/cmd'))
    await operator.publishAsync('hospital/icu/bedside-monitor/mon-01/cmd', JSON.stringify({ id: 'c1', action: 'silence', seconds: 60 }), { qos: 1 })
    expect(JSON.parse((await got).payload.toString())).toMatchObject({ id: 'c1' })
    await Promise.all([device.endAsync(), operator.endAsync()])
  })

  it('keeps pipeline output topics and $SYS broker-only', async () => {
    const operator = await connectAs(lab, { clientId: 'console-2', username: 'nurse-op', password: 'operator-secret' })
    const gone = closed(operator)
    operator.publish('alerts/clinical/icu', '{}', { qos: 0 })
    await gone
    operator.end(true)
    const observer = await connectAs(lab, { clientId: 'obs-sys', username: 'ward-obs', password: 'observer-secret' })
    await expect(observer.subscribeAsync('$SYS/#', { qos: 0 })).rejects.toMatchObject({ packet: { cmd: 'suback', granted: [128] } })
    expect(observer.connected).toBe(true)
    await observer.endAsync()
  })

  it('delivers telemetry to an observer over WebSocket', async () => {
    const wsObserver = await connectAs(lab, { kind: 'ws', clientId: 'ws-observer' })
    await wsObserver.subscribeAsync('hospital/+/+/+/telemetry', { qos: 0 })
    const device = await connectDevice(lab, 'mon-02')
    const received = nextMessage(wsObserver, (t) => t === TELEMETRY_02)
    await device.publishAsync(TELEMETRY_02, envelope('mon-02', 5), { qos: 1 })
    expect(JSON.parse((await received).payload.toString())).toMatchObject({ deviceId: 'mon-02', seq: 5 })
    await Promise.all([device.endAsync(), wsObserver.endAsync()])
  })
})

describe('broker access control (strict profile)', () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startTestLab('strict')
  })
  afterAll(async () => {
    await lab?.stop()
  })

  it('refuses anonymous clients with CONNACK 5', async () => {
    await expect(connectAs(lab, { clientId: 'anon' })).rejects.toMatchObject({ code: 5 })
  })

  it('has no sandbox: a registered observer publishing a plain topic is disconnected', async () => {
    const observer = await connectAs(lab, { clientId: 'obs-pub', username: 'ward-obs', password: 'observer-secret' })
    const gone = closed(observer)
    observer.publish('Temperature', '21', { qos: 0 })
    await gone
    expect(lab.signals.counts.get('publish-denied')).toBe(1)
    observer.end(true)
  })

  it('still lets registered observers in', async () => {
    const observer = await connectAs(lab, { clientId: 'obs', username: 'ward-obs', password: 'observer-secret' })
    expect(observer.connected).toBe(true)
    await observer.endAsync()
  })
})
