import { readFileSync } from 'node:fs'
import net from 'node:net'
import { generate } from 'mqtt-packet'
import { afterEach, expect, it, describe } from 'vitest'
import { readCaptureFile } from '../src/capture/capture-file.ts'
import { splitMqttStream } from '../src/capture/mqtt-frames.ts'
import { replayFlows, type FlowResult } from '../src/capture/replay-flows.ts'
import { reassembleFlows, type TcpFlow } from '../src/capture/tcp-flows.ts'
import { WardlabError } from '../src/util/errors.ts'
import { describeWithMqttset, mqttsetPath } from './support/mqttset.ts'
import { frame, ipPacket, LINK_TYPE, pcapFile, type SegmentSpec } from './support/pcap-builder.ts'

interface Connection {
  chunks: Buffer[]
  resetByClient: boolean
  bytes(): Buffer
}

/** A stand-in broker on an ephemeral loopback port that records what each connection sends. */
async function recordingServer(onData?: (socket: net.Socket, connection: Connection) => void) {
  const connections: Connection[] = []
  let open = 0
  let maxOpen = 0
  const server = net.createServer((socket) => {
    const connection: Connection = { chunks: [], resetByClient: false, bytes: () => Buffer.concat(connection.chunks) }
    connections.push(connection)
    maxOpen = Math.max(maxOpen, ++open)
    socket.on('data', (data) => {
      connection.chunks.push(data)
      onData?.(socket, connection)
    })
    // Counted closed at the client's FIN: this server answers it with its own FIN, and only then can
    // the client's socket close and free its slot, so the count never lags behind the client.
    let counted = true
    const closed = () => {
      if (counted) open--
      counted = false
    }
    socket.on('end', closed)
    socket.on('error', (error: NodeJS.ErrnoException) => {
      connection.resetByClient ||= error.code === 'ECONNRESET'
      closed()
    })
    socket.on('close', closed)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return { port: (server.address() as net.AddressInfo).port, connections, maxOpen: () => maxOpen }
}

const servers: net.Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

function flowOf(id: string, chunks: Array<[atMs: number, bytes: string]>, extra: Partial<TcpFlow> = {}): TcpFlow {
  const clientChunks = chunks.map(([atMs, bytes]) => ({ atMs, captureMs: atMs, bytes: Buffer.from(bytes) }))
  return {
    id,
    client: { address: '192.168.1.90', port: 40000 },
    server: { address: '192.168.1.91', port: 1883 },
    startMs: 0,
    endMs: chunks.at(-1)?.[0] ?? 0,
    clientChunks,
    clientBytes: clientChunks.reduce((n, c) => n + c.bytes.length, 0),
    serverBytes: 0,
    clientLostBytes: 0,
    sawClientSyn: true,
    closedBy: 'client',
    closedWith: 'fin',
    ...extra,
  }
}

const clientStream = (flow: TcpFlow) => Buffer.concat(flow.clientChunks.map((c) => c.bytes))

describe('replay driver', () => {
  it('replays a parsed flow so the server receives exactly the client stream, in order', async () => {
    const client = { address: '192.168.0.151', port: 50312 }
    const broker = { address: '10.16.100.73', port: 1883 }
    const packets = [
      generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'sensor-7', keepalive: 60, clean: true }),
      ...[20, 21, 22].map((v) => generate({ cmd: 'publish', topic: 'Temperature', payload: String(v), qos: 0, retain: false, dup: false })),
      generate({ cmd: 'disconnect' }),
    ]
    let seq = 1001
    const segments: SegmentSpec[] = [{ tsMs: 0, from: client, to: broker, seq: 1000, syn: true }]
    packets.forEach((payload, i) => {
      segments.push({ tsMs: 5 + i * 150, from: client, to: broker, seq, ack: 1, payload })
      seq += payload.length
    })
    const capture = pcapFile(
      segments.map((s) => ({ tsMs: 1_591_954_801_290 + s.tsMs, data: frame(ipPacket(s), 'ethernet') })),
      LINK_TYPE.ethernet,
    )
    const [flow] = reassembleFlows(readCaptureFile(capture))
    const server = await recordingServer((socket, connection) => {
      if (connection.chunks.length === 1) socket.write(Buffer.from([0x20, 2, 0, 0])) // CONNACK
    })
    const done: FlowResult[] = []

    const results = await replayFlows([flow!], { host: '127.0.0.1', port: server.port, speed: 10, onFlowDone: (r) => done.push(r) })

    expect(server.connections).toHaveLength(1)
    expect(server.connections[0]!.bytes().equals(Buffer.concat(packets))).toBe(true)
    expect(results).toEqual(done)
    expect(results[0]).toMatchObject({
      flowId: flow!.id,
      outcome: 'completed',
      connected: true,
      chunksSent: packets.length,
      bytesSent: Buffer.concat(packets).length,
      bytesReceived: 4,
      error: null,
    })
    // The stand-in broker closes when the client half-closes, as a broker does.
    expect(results[0]!.serverClosedAtMs).not.toBeNull()
  })

  it('waits for the socket to drain, so a large client side is written in order, not buffered whole', async () => {
    const chunk = 'x'.repeat(64 * 1024)
    const big = flowOf(
      'big',
      Array.from({ length: 64 }, (_, i) => [0, `${String(i).padStart(4, '0')}${chunk}`]),
    )
    const server = await recordingServer((socket, connection) => {
      if (connection.chunks.length === 1) {
        socket.pause()
        setTimeout(() => socket.resume(), 100)
      }
    })
    const [result] = await replayFlows([big], { host: '127.0.0.1', port: server.port, speed: Infinity })
    expect(result).toMatchObject({ outcome: 'completed', bytesSent: big.clientBytes })
    expect(server.connections[0]!.bytes().equals(clientStream(big))).toBe(true)
  })

  it('reports a server reset, a refused connection and a client reset as results', async () => {
    const resetting = await recordingServer((socket) => socket.resetAndDestroy())
    const [reset] = await replayFlows(
      [
        flowOf('reset', [
          [0, 'a'],
          [200, 'b'],
          [400, 'c'],
        ]),
      ],
      {
        host: '127.0.0.1',
        port: resetting.port,
        speed: 1,
      },
    )
    expect(reset).toMatchObject({ outcome: 'server-closed', connected: true, error: { code: 'ECONNRESET' } })
    expect(reset!.chunksSent).toBeLessThan(3)
    expect(reset!.serverClosedAtMs).not.toBeNull()

    const closedPort = (await recordingServer()).port
    await new Promise((resolve) => servers.pop()!.close(resolve))
    const [refused] = await replayFlows([flowOf('refused', [[0, 'a']])], { host: '127.0.0.1', port: closedPort, speed: 1 })
    expect(refused).toMatchObject({ outcome: 'error', connected: false, chunksSent: 0, error: { code: 'ECONNREFUSED' } })

    const listening = await recordingServer()
    // The capture's client reset 50 ms after its data; the replay resets at the same offset.
    const resetLater = flowOf('rst', [[0, 'hello']], { closedWith: 'rst', endMs: 50 })
    await replayFlows([resetLater], { host: '127.0.0.1', port: listening.port, speed: 1 })
    await expect.poll(() => listening.connections[0]?.resetByClient).toBe(true)
  })

  it('keeps at most maxConcurrent sockets open and returns results in the order of the flows', async () => {
    const server = await recordingServer()
    const flows = Array.from({ length: 6 }, (_, i) => flowOf(`f${i}`, [[0, `flow ${i}`]], { endMs: 60 }))
    const results = await replayFlows(flows, { host: '127.0.0.1', port: server.port, speed: 1, maxConcurrent: 2 })
    expect(server.maxOpen()).toBeLessThanOrEqual(2)
    expect(results.map((r) => [r.flowId, r.outcome])).toEqual(flows.map((f) => [f.id, 'completed']))
    expect(server.connections.map((c) => c.bytes().toString()).sort()).toEqual(flows.map((_, i) => `flow ${i}`))
  })

  it('ends everything at the global timeout: running flows time out, later ones never start', async () => {
    const server = await recordingServer()
    const slow = flowOf('slow', [
      [0, 'now'],
      [60_000, 'much later'],
    ])
    const late = flowOf('late', [[0, 'never']], { startMs: 30_000, endMs: 30_000 })
    const results = await replayFlows([slow, late], { host: '127.0.0.1', port: server.port, speed: 1, timeoutMs: 300 })
    expect(results).toMatchObject([
      { flowId: 'slow', outcome: 'timeout', chunksSent: 1 },
      { flowId: 'late', outcome: 'not-started', startedAtMs: null },
    ])
    expect(server.connections.map((c) => c.bytes().toString())).toEqual(['now'])
  })

  it('refuses non-loopback targets and meaningless settings before opening anything', async () => {
    const flows = [flowOf('f', [[0, 'x']])]
    const usage = { name: 'WardlabError', code: 'WL_USAGE' }
    await expect(replayFlows(flows, { host: '10.16.100.73', port: 1883, speed: 1 })).rejects.toMatchObject(usage)
    await expect(replayFlows(flows, { host: '127.0.0.1', port: 1883, speed: 0 })).rejects.toBeInstanceOf(WardlabError)
    await expect(replayFlows(flows, { host: '127.0.0.1', port: 1883, speed: 1, maxConcurrent: 20_000 })).rejects.toMatchObject(usage)
  })
})

describeWithMqttset('replay of MQTTset flows', () => {
  const flowsOf = (name: 'malariados' | 'slowite') => reassembleFlows(readCaptureFile(readFileSync(mqttsetPath(name))))
  const clientIdOf = (bytes: Buffer) => {
    const [first] = splitMqttStream(bytes)
    return first && 'clientId' in first ? first.clientId : undefined
  }

  it('malariados: each connection carries its flow’s bytes exactly', async () => {
    const flows = flowsOf('malariados')
    const server = await recordingServer()
    const results = await replayFlows(flows, { host: '127.0.0.1', port: server.port, speed: Infinity })
    expect(results.every((r) => r.outcome === 'completed')).toBe(true)
    const received = new Map(server.connections.map((c) => [clientIdOf(c.bytes()), c.bytes()]))
    expect(received.size).toBe(flows.length)
    for (const flow of flows) expect(received.get(clientIdOf(clientStream(flow)))?.equals(clientStream(flow))).toBe(true)
  })

  it('slowite: 716 connections through 50 socket slots', async () => {
    const flows = flowsOf('slowite')
    const server = await recordingServer()
    const results = await replayFlows(flows, { host: '127.0.0.1', port: server.port, speed: Infinity, maxConcurrent: 50 })
    expect(results.filter((r) => r.outcome === 'completed')).toHaveLength(716)
    expect(server.maxOpen()).toBeLessThanOrEqual(50)
    expect(new Set(server.connections.map((c) => clientIdOf(c.bytes()))).size).toBe(716)
  })
})
