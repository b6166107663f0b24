import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readCaptureFile } from '../src/capture/capture-file.ts'
import { ClientStreamResync } from '../src/capture/client-stream-resync.ts'
import { findBoundary, syntheticConnect } from '../src/capture/mqtt-resync.ts'
import { decodeTcpSegment } from '../src/capture/packet-decode.ts'
import { openLab } from '../src/lab/open-lab.ts'
import { replayCapture } from '../src/scenarios/capture-run.ts'
import { silentLogger } from '../src/util/log.ts'
import { describeWithMqttset, mqttsetPath } from './support/mqttset.ts'
import { ipPacket, LINK_TYPE, pcapFile } from './support/pcap-builder.ts'

/** A QoS 0 PUBLISH on `topic` (MQTT 3.1.1 §3.3). */
const publish = (topic: string, payload: Buffer | string) => {
  const body = Buffer.concat([Buffer.from([0, topic.length]), Buffer.from(topic), Buffer.from(payload)])
  return Buffer.concat([Buffer.from([0x30, body.length]), body])
}

describe('resynchronising on the fixed header', () => {
  const packets = Array.from({ length: 12 }, (_, i) => publish('ward/1', `reading ${i}`.padEnd(10)))
  const stream = Buffer.concat(packets)

  it('finds the first whole packet after a cut inside one', () => {
    const cut = 5 // inside the first PUBLISH
    expect(findBoundary(stream.subarray(cut), 0, false)).toBe(packets[0]!.length - cut)
  })

  it('is not fooled by header-like bytes inside a payload (PINGREQ C0 00, DISCONNECT E0 00)', () => {
    const tricky = Buffer.concat([publish('t', Buffer.from([0xc0, 0x00, 0xe0, 0x00, 0x30])), ...packets])
    // Cut just before the payload's C0 00: a chain of two PINGREQ-alikes then 0x30 breaks.
    expect(findBoundary(tricky.subarray(5), 0, false)).toBe(tricky.indexOf(packets[0]!) - 5)
  })

  it('waits for more bytes rather than take an unverified boundary, and accepts a short chain at the end', () => {
    const tail = Buffer.concat(packets.slice(0, 2))
    expect(findBoundary(Buffer.concat([Buffer.from([1, 2]), tail]), 0, false)).toBe('more')
    expect(findBoundary(Buffer.concat([Buffer.from([1, 2]), tail]), 0, true)).toBe(2)
    expect(findBoundary(Buffer.from('no mqtt here at all'), 0, true)).toBeNull()
  })

  it('stands a synthetic anonymous CONNECT in for a session begun before the capture, and cuts at holes', () => {
    const resync = new ClientStreamResync({ midStream: true, syntheticClientId: 'wardlab-resync-0' })
    // 20-byte packets: cut 7 bytes into the first, then lose bytes 100–104 (inside the sixth).
    const first = resync.push(stream.subarray(7, 100))
    const afterGap = resync.push(stream.subarray(105), 5)
    const rest = resync.end()
    const connect = syntheticConnect('wardlab-resync-0')
    expect(first.subarray(0, connect.length)).toEqual(connect)
    // What follows the CONNECT and each hole are whole packets only.
    const replayed = Buffer.concat([first.subarray(connect.length), afterGap, rest])
    expect(packets.filter((p) => replayed.includes(p)).length * packets[0]!.length).toBe(replayed.length)
    expect(resync.verdict).toMatchObject({ start: 'resynchronised', syntheticClientId: 'wardlab-resync-0', gaps: 1, lostBytes: 5, disconnected: false })
  })

  it('passes a flow whose start was captured through unchanged, malformed bytes included', () => {
    const resync = new ClientStreamResync({ midStream: false, syntheticClientId: 'x' })
    const junk = Buffer.from([0xf0, 0x03, 1, 2, 3, 0x30, 0xff, 0xff, 0xff, 0xff, 0x7f, 9])
    expect(Buffer.concat([resync.push(junk), resync.end()])).toEqual(junk)
    expect(resync.verdict).toMatchObject({ start: 'connect', skippedBytes: 0, unframed: true })
  })
})

describeWithMqttset('a capture cut mid-flow is classified as the whole one', () => {
  it('MQTTset flood without its first packets and with a lost segment: resynchronised, same alert types', async () => {
    const capture = readCaptureFile(readFileSync(mqttsetPath('flood')))
    const fromClient = (i: number) => decodeTcpSegment(capture.packets[i]!)?.dst.port === 1883
    // The capture is 58 packets, the client's data in 32 KB segments. Drop the handshake, the
    // CONNECT and the first data segment (8 packets), and the first 7 bytes of the next client
    // data segment, so the capture starts inside a PUBLISH; later drop one client data segment
    // (a capture loss). Rebuilt as raw IPv4 with the segments' own sequence numbers.
    const lostAt = capture.packets.findIndex((p, i) => i > 30 && fromClient(i) && (decodeTcpSegment(p)?.payload.length ?? 0) > 0)
    let cutInside = true
    const kept = capture.packets.flatMap((packet, i) => {
      const s = decodeTcpSegment(packet)!
      if (i < 8 || i === lostAt) return []
      const trim = cutInside && fromClient(i) && s.payload.length > 0 ? 7 : 0
      if (trim > 0) cutInside = false
      const ip = ipPacket({
        tsMs: s.tsMs,
        from: s.src,
        to: s.dst,
        seq: s.seq + trim,
        ...(s.ackFlag ? { ack: s.ack } : {}),
        syn: s.syn,
        fin: s.fin,
        rst: s.rst,
        payload: s.payload.subarray(trim),
      })
      return [{ tsMs: s.tsMs, data: ip }]
    })
    const dir = mkdtempSync(join(tmpdir(), 'wardlab-midstream-'))
    const cutFile = join(dir, 'flood-cut.pcap')
    writeFileSync(cutFile, pcapFile(kept, LINK_TYPE.raw))

    const replay = (file: string) => replayCapture({ openLab, file, speed: 10, log: silentLogger, outputDir: mkdtempSync(join(dir, 'lab-')) })
    const whole = await replay(mqttsetPath('flood'))
    const cut = await replay(cutFile)
    const types = (r: typeof whole) => [...new Set(r.alerts.map((a) => a.type))].sort()
    expect(types(cut)).toEqual(types(whole))
    expect(types(cut)).toContain('publish-flood')
    const [flow] = cut.flows
    expect(flow!.session).toMatchObject({ start: 'resynchronised', syntheticClientId: 'wardlab-resync-0', gaps: 1, end: 'capture-ended' })
    expect(flow!.session.skippedBytes).toBeGreaterThan(0)
    expect(flow!.alerts).toContain('publish-flood')
    expect(whole.flows[0]!.session.start).toBe('connect')
  }, 120_000)
})
