import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { until } from '../src/util/until.ts'
import { runWardlab, spawnWardlab, onFreePorts } from './support/cli.ts'
import { PythonReceiver, stopReportAccount } from './support/hl7-python.ts'

/**
 * `wardlab start --hl7 … --hl7-listen …` as a user runs it: two python-hl7 receivers, the
 * per-link account in /metrics while it runs and on stdout when it stops, and the two must agree
 * with what the receivers got: generated = acknowledged + dead-lettered + pending.
 */

const receivers: PythonReceiver[] = []
afterAll(async () => {
  for (const r of receivers) await r.stop()
})

describe('wardlab start --hl7', () => {
  it('sends to several receivers, reports each link in /metrics and on stop, and loses nothing', async () => {
    const [a, b] = await Promise.all([PythonReceiver.start({}), PythonReceiver.start({ delayMs: 5 })])
    receivers.push(a!, b!)
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-hl7-cli-'))
    const urls = [a!, b!].map((r) => `mllp://127.0.0.1:${r.port}`)
    // Six devices (beds icu-01 and icu-02) at 60x: a PCD-01 per device per simulated minute is one a second.
    const cli = spawnWardlab(['start', ...onFreePorts(dataDir), '--speed', '60', '--devices', '6', '--hl7', urls.join(','), '--hl7-listen', '0'])
    try {
      const [, httpUrl] = await cli.waitFor(/http +(http:\/\/127\.0\.0\.1:\d+)\/metrics/)
      expect(cli.stdout()).toContain(`hl7    ${urls[0]}`)
      expect(cli.stdout()).toMatch(/hl7-listen mllp:\/\/127\.0\.0\.1:\d+ +IHE PCD-03/)
      expect(await until(() => a!.messages.length >= 10 && b!.messages.length >= 10, 30_000)).toBe(true)
      const metrics = await (await fetch(`${httpUrl}/metrics`)).text()
      for (const url of urls) {
        expect(metrics).toMatch(new RegExp(`wardlab_hl7_messages\\{link="${url}",outcome="acknowledged"\\} [1-9]\\d*`))
        expect(metrics).toContain(`wardlab_hl7_link_state{link="${url}",state="connected"} 1`)
        expect(metrics).toMatch(new RegExp(`wardlab_hl7_queue_depth\\{link="${url}",unit="messages"\\} \\d+`))
        expect(metrics).toMatch(new RegExp(`wardlab_hl7_ack_latency_seconds\\{link="${url}",quantile="0.99"\\} [0-9.e-]+`))
      }
    } finally {
      cli.child.kill('SIGINT')
    }
    expect(await cli.exited).toBe(0)
    for (const [i, receiver] of [a!, b!].entries()) {
      const { generated, acknowledged, deadLettered, pending } = stopReportAccount(cli.stdout(), urls[i]!)
      expect(generated).toBe(acknowledged + deadLettered + pending)
      expect(deadLettered).toBe(0)
      expect(pending).toBe(0)
      await receiver.reported(acknowledged)
      expect(receiver.sequenceNumbers()).toEqual(Array.from({ length: generated }, (_, k) => k + 1))
    }
    expect(cli.stdout()).toMatch(/hl7 orders on port \d+: received 0/)
  }, 90_000)
})

describe('wardlab bench --hl7', () => {
  it('measures PCD-01 messages/s and ACK latency for N beds against python-hl7', async () => {
    const receiver = await PythonReceiver.start({})
    receivers.push(receiver)
    const run = await runWardlab(['bench', '--hl7', `mllp://127.0.0.1:${receiver.port}`, '--devices', '20', '--hl7-rounds', '3'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/20 beds × 3 rounds = 60 ORU\^R01/)
    expect(run.stdout).toMatch(/\d+ messages\/s; ACK latency p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms/)
    expect(run.stdout).toContain('acknowledged 60, dead-lettered 0')
    await receiver.reported(60)
    expect(receiver.sequenceNumbers()).toEqual(Array.from({ length: 60 }, (_, i) => i + 1))
  }, 60_000)
})

describe('wardlab start --hl7 with a link policy', () => {
  it('--hl7-on-nak dead-letter: a receiver that answers AE gets each message once, and the stop report counts them dead-lettered', async () => {
    const receiver = await PythonReceiver.start({ default: 'AE' })
    receivers.push(receiver)
    const url = `mllp://127.0.0.1:${receiver.port}`
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-hl7-nak-'))
    const cli = spawnWardlab([
      'start',
      ...onFreePorts(dataDir),
      '--speed',
      '60',
      '--devices',
      '2',
      '--hl7',
      url,
      '--hl7-on-nak',
      'dead-letter',
      '--hl7-ack-timeout',
      '2',
    ])
    try {
      await cli.waitFor(/"msg":"wardlab started"/, 30_000)
      await receiver.reported(3, 30_000)
    } finally {
      cli.child.kill('SIGINT')
    }
    expect(await cli.exited).toBe(0)
    const { generated, acknowledged, deadLettered, pending, retransmitted, naks } = stopReportAccount(cli.stdout(), url)
    expect(acknowledged).toBe(0)
    expect(deadLettered).toBeGreaterThanOrEqual(3)
    expect(generated).toBe(deadLettered + pending)
    expect(retransmitted).toBe(0)
    expect(naks).toBe(deadLettered)
    // Each message reached the receiver once: nothing was sent again.
    const controlIds = receiver.messages.map((m) => m.controlId)
    expect(new Set(controlIds).size).toBe(controlIds.length)
  }, 90_000)

  it('refuses a link policy flag without --hl7 (exit 2)', async () => {
    const run = await runWardlab(['start', '--hl7-on-nak', 'dead-letter', '--port', '0'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--hl7-on-nak sets the --hl7 links')
  })
})
