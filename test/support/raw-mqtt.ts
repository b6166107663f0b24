import { connect as tcpConnect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { MqttClient, type IClientOptions } from 'mqtt'
import type { Lab } from '../../src/lab/lab.ts'
import { openInProcessStream, whenConnected } from '../../src/simulation/connector.ts'
import { portOf } from './lab.ts'

/** Sends raw bytes on an in-memory connection; resolves with what the broker wrote back once it closed the connection. */
export function exchange(lab: Lab, bytes: Buffer, address = 'conformance-probe'): Promise<Buffer> {
  const stream: Duplex = openInProcessStream((s) => lab.handleConnection(s), address)
  const received: Buffer[] = []
  stream.on('data', (chunk: Buffer) => received.push(chunk))
  stream.on('error', () => undefined)
  return new Promise((resolve) => {
    stream.once('close', () => resolve(Buffer.concat(received)))
    stream.write(bytes)
  })
}

/** A raw connection whose bytes from the broker are collected as they come, for packets sent one at a time. */
export interface RawSession {
  write(bytes: Buffer): void
  /** Everything the broker has written so far. */
  received(): Buffer
  /** Resolves once the broker has written at least `bytes` bytes in all. */
  receivedAtLeast(bytes: number, ms?: number): Promise<Buffer>
  /** Resolves with everything received once the connection has closed. */
  closed: Promise<Buffer>
  /** Closes the connection from the client's end, without DISCONNECT. */
  hangUp(): void
}

export function rawSession(stream: Duplex): RawSession {
  const chunks: Buffer[] = []
  const waiting: (() => void)[] = []
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    for (const wake of waiting.splice(0)) wake()
  })
  stream.on('error', () => undefined)
  const closed = new Promise<Buffer>((resolve) => stream.once('close', () => resolve(Buffer.concat(chunks))))
  const received = () => Buffer.concat(chunks)
  return {
    write: (bytes) => void stream.write(bytes),
    received,
    closed,
    hangUp: () => void stream.destroy(),
    async receivedAtLeast(bytes, ms = 5000) {
      const deadline = Date.now() + ms
      while (received().length < bytes) {
        if (Date.now() > deadline || stream.destroyed) throw new Error(`${received().length} of ${bytes} bytes from the broker within ${ms} ms`)
        await Promise.race([new Promise<void>((resolve) => waiting.push(resolve)), closed, new Promise((resolve) => setTimeout(resolve, 50))])
      }
      return received()
    },
  }
}

/** A raw in-memory connection into the lab, labelled with `address` as its peer. */
export function rawInProcess(lab: Lab, address: string): RawSession {
  return rawSession(openInProcessStream((s) => lab.handleConnection(s), address))
}

/** A TCP socket to the lab's MQTT listener from `localAddress` (any 127.x.y.z is the loopback on Linux), once connected. */
export async function tcpSocketFrom(lab: Lab, localAddress = '127.0.0.1'): Promise<Socket> {
  const socket = tcpConnect({ port: portOf(lab), host: '127.0.0.1', localAddress })
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  return socket
}

/**
 * mqtt.js over TCP from `localAddress`, so the broker sees another source address; resolves once
 * connected, rejects with the CONNACK's error otherwise.
 */
export function connectFrom(lab: Lab, localAddress: string, options: IClientOptions): Promise<MqttClient> {
  return whenConnected(
    new MqttClient(() => tcpConnect({ port: portOf(lab), host: '127.0.0.1', localAddress }), {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      ...options,
    }),
  )
}
