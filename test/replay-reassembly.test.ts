import { generate } from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { CaptureFormatError, readCaptureFile } from '../src/capture/capture-file.ts'
import { reassembleFlows, type TcpFlow } from '../src/capture/tcp-flows.ts'
import { frame, ipPacket, LINK_TYPE, pcapFile, pcapngSection, type LinkFraming, type RecordSpec, type SegmentSpec, type Side } from './support/pcap-builder.ts'

const T0 = Date.UTC(2020, 5, 12, 9, 40, 1, 290) // the benign MQTTset capture starts at this minute
const client4 = { address: '192.168.0.151', port: 50312 }
const broker4 = { address: '10.16.100.73', port: 1883 }
const client6 = { address: 'fd00::151', port: 50312 }
const broker6 = { address: 'fd00::73', port: 1883 }

/** The client stream of the conversation: CONNECT then a QoS 0 PUBLISH, as a benign sensor sends. */
const stream = Buffer.concat([
  generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'a1b2c3d4e5f6a7b8c9d0e1f', keepalive: 60, clean: true }),
  generate({ cmd: 'publish', topic: 'Temperature', payload: Buffer.from('21'), qos: 0, retain: false, dup: false }),
])
const part = (from: number, to: number) => stream.subarray(from, to)
const ISN = 0xfffffff0 // the stream's sequence numbers wrap past 2^32
const SERVER_ISN = 7_000

/**
 * Handshake, then the client stream in three parts sent out of order, with a duplicate and an
 * overlapping retransmission whose stale bytes differ, a retransmitted CONNACK, and FINs.
 */
function conversation(client: Side, server: Side): SegmentSpec[] {
  const c = (tsMs: number, offset: number, payload: Buffer | string, extra: Partial<SegmentSpec> = {}) =>
    ({ tsMs, from: client, to: server, seq: ISN + 1 + offset, ack: SERVER_ISN + 1, payload, ...extra }) as SegmentSpec
  const s = (tsMs: number, offset: number, payload: Buffer | string, extra: Partial<SegmentSpec> = {}) =>
    ({ tsMs, from: server, to: client, seq: SERVER_ISN + 1 + offset, ack: ISN + 1, payload, ...extra }) as SegmentSpec
  const stale = Buffer.from(part(10, 30))
  stale.fill('X', 0, 10) // bytes 10..19 were already delivered: the receiver keeps the first copy
  return [
    { tsMs: 0, from: client, to: server, seq: ISN, syn: true },
    { tsMs: 0.25, from: server, to: client, seq: SERVER_ISN, ack: ISN + 1, syn: true },
    c(0.5, 0, ''),
    c(10, 40, part(40, stream.length)),
    c(11, 0, part(0, 20)),
    s(12, 0, Buffer.from([0x20, 2, 0, 0])),
    c(12.5, 0, part(0, 20)),
    s(12.75, 0, Buffer.from([0x20, 2, 0, 0])),
    c(13, 10, stale),
    c(14, 20, part(20, 40)),
    c(20, stream.length, '', { fin: true }),
    s(21, 4, '', { fin: true }),
  ]
}

const records = (segments: SegmentSpec[], framing: LinkFraming, interfaceOf = (_: SegmentSpec) => 0): RecordSpec[] =>
  segments.map((seg) => ({ tsMs: T0 + seg.tsMs, data: frame(ipPacket(seg), framing), interfaceId: interfaceOf(seg) }))

const clientStream = (flow: TcpFlow) => Buffer.concat(flow.clientChunks.map((chunk) => chunk.bytes))

function onlyFlow(capture: Buffer): TcpFlow {
  const flows = reassembleFlows(readCaptureFile(capture))
  expect(flows).toHaveLength(1)
  return flows[0]!
}

describe('capture reader', () => {
  const v4 = conversation(client4, broker4)
  const v6 = conversation(client6, broker6)
  const fromClient = (seg: SegmentSpec) => (seg.from === client4 || seg.from === client6 ? 0 : 1)
  const cases: Array<[string, Buffer, Side]> = [
    ['pcap, little-endian, µs, Ethernet', pcapFile(records(v4, 'ethernet'), LINK_TYPE.ethernet), client4],
    ['pcap, big-endian, ns, raw IPv4 (228)', pcapFile(records(v4, 'raw'), 228, { bigEndian: true, nano: true }), client4],
    ['pcap, little-endian, ns, raw IPv6 (101)', pcapFile(records(v6, 'raw'), LINK_TYPE.raw, { nano: true }), client6],
    ['pcap, big-endian, µs, Linux SLL', pcapFile(records(v4, 'sll'), LINK_TYPE.sll, { bigEndian: true }), client4],
    ['pcapng, little-endian EPB, SLL2, if_tsresol 10^-9', pcapngSection(records(v6, 'sll2'), [{ linkType: LINK_TYPE.sll2, tsresol: 9 }]), client6],
    [
      'pcapng, big-endian old Packet Blocks, VLAN-tagged Ethernet',
      pcapngSection(records(v4, 'ethernet-vlan'), [{ linkType: LINK_TYPE.ethernet }], { bigEndian: true, blockKind: 'old' }),
      client4,
    ],
    [
      'pcapng, two interfaces: SLL in µs and big-endian null/loopback in 2^-20 s',
      pcapngSection(
        [
          ...records(
            v4.filter((s) => fromClient(s) === 0),
            'sll',
            () => 0,
          ),
          ...records(
            v4.filter((s) => fromClient(s) === 1),
            'null-be',
            () => 1,
          ),
        ].sort((a, b) => a.tsMs - b.tsMs),
        [{ linkType: LINK_TYPE.sll }, { linkType: LINK_TYPE['null-be'], tsresol: 0x80 | 20 }],
      ),
      client4,
    ],
  ]

  it.each(cases)('%s: reassembles the client stream with its capture times', (_, capture, client) => {
    const flow = onlyFlow(capture)
    expect(flow.client).toEqual(client)
    expect(flow.server.port).toBe(1883)
    expect(clientStream(flow).equals(stream)).toBe(true)
    const expectedAtMs = [11, 13, 14, 14]
    expect(flow.clientChunks).toHaveLength(expectedAtMs.length)
    flow.clientChunks.forEach((chunk, i) => expect(chunk.atMs).toBeCloseTo(expectedAtMs[i]!, 2))
    expect(flow.serverBytes).toBe(4)
    expect(flow.startMs).toBeCloseTo(0, 5)
    expect(flow.endMs).toBeCloseTo(21, 2)
  })

  it('reads a pcapng file of two sections in different byte orders, and Simple Packet Blocks', () => {
    const firstHalf = pcapngSection(records(v4.slice(0, 5), 'ethernet'), [{ linkType: LINK_TYPE.ethernet }])
    const secondHalf = pcapngSection(records(v4.slice(5), 'null-le'), [{ linkType: LINK_TYPE['null-le'] }], {
      bigEndian: true,
      blockKind: 'spb',
    })
    const capture = readCaptureFile(Buffer.concat([firstHalf, secondHalf]))
    expect(capture).toMatchObject({ format: 'pcapng', truncated: false })
    expect(capture.packets.map((p) => p.linkType)).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    // A Simple Packet Block carries no time: it takes the last time seen.
    expect(capture.packets.slice(5).every((p) => p.tsMs === T0 + 11)).toBe(true)
    expect(clientStream(onlyFlow(Buffer.concat([firstHalf, secondHalf]))).equals(stream)).toBe(true)
  })

  it('adds if_tsoffset to the timestamps of its interface, in either byte order', () => {
    for (const bigEndian of [false, true]) {
      const capture = readCaptureFile(
        pcapngSection(records(v4, 'raw'), [{ linkType: LINK_TYPE.raw, tsresol: 9, tsoffsetSeconds: 1_500_000_000 }], { bigEndian }),
      )
      expect(capture.packets[0]!.tsMs).toBe(T0)
      expect(capture.packets.at(-1)!.tsMs).toBeCloseTo(T0 + 21, 3)
    }
  })

  it('reports a file cut inside a record as truncated and keeps the whole records', () => {
    const whole = pcapFile(records(v4, 'ethernet'), LINK_TYPE.ethernet)
    const cut = readCaptureFile(whole.subarray(0, whole.length - 10))
    expect(cut).toMatchObject({ format: 'pcap', truncated: true })
    expect(cut.packets).toHaveLength(v4.length - 1)
    const cutNg = readCaptureFile(pcapngSection(records(v4, 'sll'), [{ linkType: LINK_TYPE.sll }]).subarray(0, 300))
    expect(cutNg.truncated).toBe(true)
  })

  it('rejects what is not a capture', () => {
    expect(() => readCaptureFile(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toThrow(CaptureFormatError)
    expect(() => readCaptureFile(Buffer.alloc(4))).toThrow(CaptureFormatError)
  })
})

describe('TCP flow reassembly', () => {
  const segment = (tsMs: number, from: Side, to: Side, seq: number, extra: Partial<SegmentSpec> = {}): SegmentSpec => ({
    tsMs,
    from,
    to,
    seq,
    ack: 1,
    ...extra,
  })
  const flowsOf = (segments: SegmentSpec[], serverPort?: number) =>
    reassembleFlows(readCaptureFile(pcapFile(records(segments, 'ethernet'), LINK_TYPE.ethernet)), { serverPort })

  it('delivers each byte once, in sequence order, at the time its gap was filled', () => {
    const [flow] = flowsOf(conversation(client4, broker4))
    expect(flow).toMatchObject({ id: '192.168.0.151:50312>10.16.100.73:1883', sawClientSyn: true, clientLostBytes: 0 })
    expect(flow!.clientChunks.map((c) => [c.atMs, c.bytes.toString('latin1')])).toEqual([
      [11, part(0, 20).toString('latin1')],
      [13, part(20, 30).toString('latin1')],
      [14, part(30, 40).toString('latin1')],
      [14, part(40, stream.length).toString('latin1')],
    ])
    expect(flow!.clientBytes).toBe(stream.length)
    expect(flow).toMatchObject({ closedBy: 'client', closedWith: 'fin' })
  })

  it('keeps flows to the broker port only and orients them by SYN, else by the port', () => {
    const web = { address: '10.16.100.73', port: 80 }
    const midway = { address: '192.168.0.152', port: 41000 }
    const flows = flowsOf([
      segment(0, client4, web, 1, { payload: 'GET / HTTP/1.1\r\n\r\n' }),
      // Capture starts mid-connection: no SYN, segments out of order, the lowest sequence is byte 0.
      segment(1, broker4, midway, 500, { payload: Buffer.from([0x20, 2, 0, 0]) }),
      segment(2, midway, broker4, 1_000_005, { payload: 'world' }),
      segment(3, midway, broker4, 1_000_000, { payload: 'hello' }),
    ])
    expect(flows).toHaveLength(1)
    expect(flows[0]).toMatchObject({ client: midway, server: broker4, sawClientSyn: false, serverBytes: 4 })
    expect(clientStream(flows[0]!).toString()).toBe('helloworld')
    expect(flowsOf([segment(0, client4, web, 1, { payload: 'x' })], 80)).toHaveLength(1)
  })

  it('gives up on a hole the capture never fills: counts it lost and delivers what lies beyond it', () => {
    const [flow] = flowsOf([
      segment(0, client4, broker4, 99, { syn: true, ack: undefined }),
      segment(1, client4, broker4, 100, { payload: 'abc' }),
      segment(2, client4, broker4, 110, { payload: 'xyz' }),
      segment(3, client4, broker4, 112, { payload: 'zzzz' }),
    ])
    // Bytes 3–9 never came; beyond them 'xyz' then 'zzzz', whose first byte overlaps (first copy wins).
    expect(clientStream(flow!).toString()).toBe('abcxyzzzz')
    expect(flow!.clientLostBytes).toBe(7)
    expect(flow!.clientChunks.map((c) => c.lostBefore)).toEqual([undefined, 7, undefined])
  })

  it('splits a reused 4-tuple into separate connections and notes who reset', () => {
    const flows = flowsOf([
      segment(0, client4, broker4, 10, { syn: true, ack: undefined }),
      segment(1, client4, broker4, 11, { payload: 'first' }),
      segment(2, broker4, client4, 50, { rst: true }),
      segment(30, client4, broker4, 9_000, { syn: true, ack: undefined }),
      segment(31, client4, broker4, 9_001, { payload: 'second' }),
      segment(32, client4, broker4, 9_007, { rst: true }),
    ])
    expect(flows.map((f) => [f.id, clientStream(f).toString(), f.closedBy, f.closedWith])).toEqual([
      ['192.168.0.151:50312>10.16.100.73:1883', 'first', 'server', 'rst'],
      ['192.168.0.151:50312>10.16.100.73:1883#2', 'second', 'client', 'rst'],
    ])
    expect(flows[1]!.startMs).toBe(30)
    expect(flows[1]!.clientChunks[0]).toMatchObject({ atMs: 1, captureMs: 31 })
  })
})
