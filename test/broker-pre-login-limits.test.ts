import { connect as netConnect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { Lab } from '../src/lab/lab.ts'
import { portOf, startTestLab, urlOf } from './support/lab.ts'
import { until } from './support/reliability.ts'

describe('limits that hold before a client has logged in', () => {
  let lab: Lab

  beforeAll(async () => {
    lab = await startTestLab('strict', undefined, { security: { maxConnectionsPerAddress: 5 } })
  })
  afterAll(async () => {
    await lab.stop()
  })

  it('closes a WebSocket whose first frame announces more than the packet cap, before buffering it', async () => {
    const ws = new WebSocket(urlOf(lab, 'ws'), 'mqtt')
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
    // 8 MiB with no CONNECT: ws refuses it on the frame header (1009, message too big).
    ws.send(Buffer.alloc(8 * 1024 * 1024, 0x30))
    expect(await closed).toBe(1009)
  })

  it('counts connections that never send CONNECT against the per-address limit, on every listener', async () => {
    const held: Socket[] = []
    const opened = () => lab.signals.counts.get('connection-opened') ?? 0
    const before = opened()
    try {
      for (let i = 0; i < 5; i++) {
        const socket = netConnect(portOf(lab), '127.0.0.1')
        held.push(socket)
        await new Promise((resolve) => socket.once('connect', resolve))
      }
      await until(() => opened() === before + 5, 5000, 'five connections seen')
      const sixth = netConnect(portOf(lab), '127.0.0.1')
      held.push(sixth)
      const closedEarly = await new Promise<boolean>((resolve) => {
        sixth.once('close', () => resolve(true))
        setTimeout(() => resolve(false), 2000)
      })
      expect(closedEarly).toBe(true)
      expect(lab.signals.counts.get('connect-refused')).toBe(1)
      // The WebSocket listener counts against the same limit.
      const ws = new WebSocket(urlOf(lab, 'ws'), 'mqtt')
      const wsClosed = await new Promise<boolean>((resolve) => {
        ws.once('close', () => resolve(true))
        ws.once('error', () => resolve(true))
        setTimeout(() => resolve(false), 2000)
      })
      expect(wsClosed).toBe(true)
    } finally {
      for (const socket of held) socket.destroy()
    }
  })
})
