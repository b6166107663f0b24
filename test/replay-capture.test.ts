import { readFileSync } from 'node:fs'
import { beforeAll, expect, it } from 'vitest'
import { readCaptureFile } from '../src/capture/capture-file.ts'
import { summarizeFlow, type MqttStreamSummary } from '../src/capture/mqtt-summary.ts'
import { reassembleFlows, type TcpFlow } from '../src/capture/tcp-flows.ts'
import { describeWithMqttset, MQTTSET_FILES, mqttsetPath, type MqttsetClass } from './support/mqttset.ts'

interface ParsedClass {
  format: string
  flows: TcpFlow[]
  summaries: MqttStreamSummary[]
}

/** Totals over a class's flows of what its attack shows. */
function totals(parsed: ParsedClass) {
  const connects = parsed.summaries.flatMap((s) => s.connects)
  const sum = (pick: (s: MqttStreamSummary) => number) => parsed.summaries.reduce((n, s) => n + pick(s), 0)
  return {
    connects,
    publishes: sum((s) => s.byType.publish ?? 0),
    publishPayloadBytes: sum((s) => s.publishPayloadBytes),
    maxPublishPayload: Math.max(...parsed.summaries.map((s) => s.maxPublishPayload)),
    qos: [0, 1, 2].map((q) => sum((s) => s.publishesByQos[q as 0 | 1 | 2])),
    malformed: sum((s) => s.malformed),
    violations: sum((s) => s.violations.length),
    topics: new Set(parsed.summaries.flatMap((s) => s.topics)),
    clientAddresses: new Set(parsed.flows.map((f) => f.client.address)),
    spanMs: Math.max(...parsed.flows.map((f) => f.startMs)) - Math.min(...parsed.flows.map((f) => f.startMs)),
  }
}

describeWithMqttset('MQTTset captures', () => {
  const parsed = new Map<MqttsetClass, ParsedClass>()
  const get = (name: MqttsetClass) => parsed.get(name)!

  beforeAll(() => {
    for (const name of Object.keys(MQTTSET_FILES) as MqttsetClass[]) {
      const capture = readCaptureFile(readFileSync(mqttsetPath(name)))
      const flows = reassembleFlows(capture)
      parsed.set(name, { format: capture.format, flows, summaries: flows.map(summarizeFlow) })
    }
  })

  it.each(Object.keys(MQTTSET_FILES) as MqttsetClass[])('%s: every flow is a whole MQTT connection to port 1883', (name) => {
    const { flows, summaries } = get(name)
    expect(flows.length).toBeGreaterThan(0)
    for (const flow of flows) {
      expect(flow.server.port).toBe(1883)
      expect(flow.sawClientSyn).toBe(true)
      expect(flow.clientLostBytes).toBe(0)
    }
    // Every flow that carries bytes opens with CONNECT and ends on a packet boundary.
    for (const summary of summaries.filter((s) => s.packets > 0)) {
      expect(summary.connects).toHaveLength(1)
      expect(summary.truncatedBytes).toBe(0)
    }
  })

  it('tells the format by magic: mergecap wrote pcapng into most `.pcap` files', () => {
    expect(get('flood').format).toBe('pcap')
    expect(get('benign').format).toBe('pcapng')
    expect(get('slowite').format).toBe('pcapng')
  })

  it('benign: a few long-lived anonymous sensors publishing tiny QoS 0 readings on plain topics', () => {
    const t = totals(get('benign'))
    expect(get('benign').flows).toHaveLength(7)
    expect(t.connects.every((c) => c.keepalive === 60 && !c.usernameFlag && c.clientId?.length === 23)).toBe(true)
    expect(t.publishes).toBe(1673)
    expect(t.qos).toEqual([1673, 0, 0])
    expect(t.maxPublishPayload).toBeLessThanOrEqual(3)
    expect([...t.topics].sort()).toEqual(['Door Lock', 'Fan Speed', 'Humidity', 'Light Intensity', 'Movement', 'Smoke', 'Temperature'])
    expect(t.malformed + t.violations).toBe(0)
    expect(get('benign').flows.every((f) => f.endMs - f.startMs > 500_000)).toBe(true)
  })

  it('bruteforce: one address tries a CONNECT with username and password every 2 s, each on a new connection', () => {
    const { flows, summaries } = get('bruteforce')
    const t = totals(get('bruteforce'))
    expect(flows).toHaveLength(889)
    expect(t.clientAddresses).toEqual(new Set(['192.168.1.90']))
    expect(summaries.every((s) => s.packets === 1 && s.byType.connect === 1)).toBe(true)
    const withCredentials = t.connects.filter((c) => c.usernameFlag && c.passwordFlag)
    expect(withCredentials.length).toBeGreaterThanOrEqual(880)
    expect(new Set(withCredentials.map((c) => c.username))).toEqual(new Set(['user']))
    const gaps = flows
      .slice(1)
      .map((f, i) => f.startMs - flows[i]!.startMs)
      .sort((a, b) => a - b)
    expect(gaps[gaps.length >> 1]).toBeGreaterThan(1900)
    expect(gaps[gaps.length >> 1]).toBeLessThan(2100)
    // The broker refuses (CONNACK only) and closes most of them itself.
    expect(flows.filter((f) => f.closedBy === 'server').length).toBeGreaterThan(700)
    expect(flows.every((f) => f.serverBytes === 4)).toBe(true)
  })

  it('flood: one client sends tens of thousands of PUBLISHes at over 2,000 per second', () => {
    const [flow] = get('flood').flows
    const t = totals(get('flood'))
    expect(get('flood').flows).toHaveLength(1)
    expect(t.publishes).toBe(39452)
    expect([...t.topics]).toEqual(['Temperature'])
    expect(flow!.clientBytes).toBeGreaterThan(680_000)
    expect(t.publishes / ((flow!.endMs - flow!.startMs) / 1000)).toBeGreaterThan(2000)
  })

  it('malariados: mqtt-malaria clients push QoS 1 publishes of about 100 bytes on per-client topics', () => {
    const t = totals(get('malariados'))
    expect(get('malariados').flows).toHaveLength(10)
    expect(t.connects.every((c) => c.clientId?.startsWith('beem.loadr'))).toBe(true)
    expect(t.publishes).toBe(3120)
    expect(t.qos).toEqual([0, 3120, 0])
    expect(t.publishPayloadBytes).toBeGreaterThan(300_000)
    expect(t.maxPublishPayload).toBeLessThanOrEqual(116)
    expect([...t.topics].every((topic) => topic.startsWith('mqtt-malaria/'))).toBe(true)
    expect(t.spanMs).toBeLessThan(5000)
  })

  it('malformed: crafted but parseable values, silent connections and wildcard snooping', () => {
    const { flows, summaries } = get('malformed')
    const t = totals(get('malformed'))
    expect(flows).toHaveLength(606)
    // MQTTSA's "malformed data" keeps the framing valid: mqtt-packet parses every packet.
    expect(t.malformed).toBe(0)
    expect(flows.filter((f) => f.clientBytes === 0)).toHaveLength(54)
    expect(new Set(t.connects.map((c) => c.keepalive))).toEqual(new Set([1, 2, 3, 60, 234]))
    // MQTT 3.1.1 §3.1.3-5 only obliges a server to accept client ids of 1 to 23 bytes.
    expect(Math.max(...t.connects.map((c) => c.clientId?.length ?? 0))).toBe(680)
    expect(t.topics).toEqual(new Set(['Topic1', '$', '$topic', '///////', '/../../../../']))
    const snooping = summaries.filter((s) => (s.byType.subscribe ?? 0) > 0)
    expect(snooping.length).toBeGreaterThanOrEqual(25)
    expect(t.qos[1]).toBeGreaterThan(0)
    expect(t.qos[2]).toBeGreaterThan(0)
  })

  it('slowite: hundreds of connections in under a second, each one CONNECT with keep-alive 65535, none closed', () => {
    const { flows } = get('slowite')
    const t = totals(get('slowite'))
    expect(flows).toHaveLength(716)
    expect(t.connects).toHaveLength(716)
    expect(t.connects.every((c) => c.keepalive === 65535 && c.clientId?.startsWith('slowite'))).toBe(true)
    expect(t.spanMs).toBeLessThan(1000)
    expect(flows.every((f) => f.closedBy === 'none')).toBe(true)
  })
})
