import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import type { Lab } from '../src/lab/lab.ts'
import { connectDevice, envelope, portOf, startTestLab } from './support/lab.ts'

const run = promisify(execFile)
const TELEMETRY = 'hospital/icu/bedside-monitor/mon-01/telemetry'

/** The real Debian mosquitto_sub binary (package mosquitto-clients, installed by .ci/run). */
async function mosquittoSub(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('mosquitto_sub', args, { timeout: 15_000 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { code: number | string; stdout: string; stderr: string }
    if (e.code === 'ENOENT') throw new Error('mosquitto_sub is not installed: apt-get install mosquitto-clients (.ci/run does this)')
    return { code: Number(e.code), stdout: e.stdout, stderr: e.stderr }
  }
}

/** Publishes telemetry every 100 ms until stopped, so a subscriber that joins late still sees some. */
function keepPublishing(device: MqttClient): () => void {
  let seq = 0
  const timer = setInterval(() => device.publish(TELEMETRY, envelope('mon-01', seq++), { qos: 0 }), 100)
  return () => clearInterval(timer)
}

describe('mosquitto_sub interop', () => {
  describe('lab profile', () => {
    let lab: Lab
    beforeAll(async () => {
      lab = await startTestLab('lab')
    })
    afterAll(async () => lab?.stop())

    it('receives telemetry as an anonymous observer', async () => {
      const device = await connectDevice(lab, 'mon-01')
      const stop = keepPublishing(device)
      try {
        const result = await mosquittoSub(['-h', '127.0.0.1', '-p', String(portOf(lab)), '-V', 'mqttv311', '-t', 'hospital/#', '-v', '-C', '3', '-W', '10'])
        expect(result.code).toBe(0)
        const lines = result.stdout.trim().split('\n')
        expect(lines).toHaveLength(3)
        for (const line of lines) {
          const [topic, ...rest] = line.split(' ')
          expect(topic).toBe(TELEMETRY)
          expect(JSON.parse(rest.join(' '))).toMatchObject({ deviceId: 'mon-01', kind: 'bedside-monitor' })
        }
      } finally {
        stop()
        await device.endAsync()
      }
    })
  })

  describe('strict profile', () => {
    let lab: Lab
    beforeAll(async () => {
      lab = await startTestLab('strict')
    })
    afterAll(async () => lab?.stop())

    it('is refused as an anonymous client', async () => {
      const result = await mosquittoSub(['-h', '127.0.0.1', '-p', String(portOf(lab)), '-V', 'mqttv311', '-t', 'hospital/#', '-C', '1', '-W', '5'])
      expect(result.code).not.toBe(0)
      expect(result.stderr).toMatch(/not authori[sz]ed/i)
    })

    it('receives telemetry with observer credentials', async () => {
      const device = await connectDevice(lab, 'mon-01')
      const stop = keepPublishing(device)
      try {
        const result = await mosquittoSub([
          '-h',
          '127.0.0.1',
          '-p',
          String(portOf(lab)),
          '-V',
          'mqttv311',
          '-u',
          'ward-obs',
          '-P',
          'observer-secret',
          '-i',
          'sub-obs',
          '-t',
          'hospital/#',
          '-C',
          '1',
          '-W',
          '10',
        ])
        expect(result.code).toBe(0)
        expect(JSON.parse(result.stdout)).toMatchObject({ deviceId: 'mon-01' })
      } finally {
        stop()
        await device.endAsync()
      }
    })
  })
})
