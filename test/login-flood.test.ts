import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generate } from 'mqtt-packet'
import type { MqttClient } from 'mqtt'
import type { Lab } from '../src/lab/lab.ts'
import { passwordHashQueue } from '../src/registry/hash-queue.ts'
import { PASSWORDS, startTestLab } from './support/lab.ts'
import { connectFrom, rawInProcess, rawSession, tcpSocketFrom } from './support/raw-mqtt.ts'
import { until } from './support/reliability.ts'

const FLOOD = 300
/** The flood's source addresses: loopback aliases, so every CONNECT is a real TCP connection. */
const ATTACKERS = ['127.0.0.1', '127.0.0.2', '127.0.0.3']

function wrongLogin(username: string, i: number, protocolVersion: 4 | 5 = 4): Buffer {
  return generate(
    {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion,
      clean: true,
      clientId: `guess-${i}-${Math.random().toString(36).slice(2)}`,
      keepalive: 30,
      username,
      password: Buffer.from(`guess-${i}`),
    },
    { protocolVersion },
  )
}

/** Sends a wrong-password CONNECT over TCP from `address`; resolves with the CONNACK's return code. */
async function guessOverTcp(lab: Lab, address: string, username: string, i: number): Promise<number> {
  const session = rawSession(await tcpSocketFrom(lab, address))
  session.write(wrongLogin(username, i))
  return (await session.closed)[3] ?? -1
}

/** Milliseconds from a CONNECT sent to its CONNACK received, on a fresh TCP connection from `address`. */
async function timeRefusal(lab: Lab, address: string, username: string): Promise<{ ms: number; code: number }> {
  const session = rawSession(await tcpSocketFrom(lab, address))
  const started = performance.now()
  session.write(wrongLogin(username, 0))
  const connack = await session.receivedAtLeast(4, 10_000)
  const ms = performance.now() - started
  await session.closed
  return { ms, code: connack[3]! }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

describe('a login flood (strict profile)', () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startTestLab('strict')
  })
  afterAll(async () => {
    await lab?.stop()
  })

  it(`${FLOOD} parallel wrong-password CONNECTs from ${ATTACKERS.length} addresses leave a device's first login, and a returning device's, under 1 s`, {
    timeout: 90_000,
  }, async () => {
    // mon-01 has logged in before (its password is remembered); mon-02 never has since the start.
    await (await connectFrom(lab, '127.0.0.8', { clientId: 'mon-01', username: 'mon-01', password: PASSWORDS['mon-01'] })).endAsync()
    const before = { ...lab.registry.logins }
    const attemptsBefore = lab.signals.counts.get('connect-attempt') ?? 0
    const names = ['mon-01', 'root', 'ghost']
    const flood = Array.from({ length: FLOOD }, (_, i) =>
      guessOverTcp(lab, ATTACKERS[i % ATTACKERS.length]!, `${names[i % names.length]}${i % names.length === 2 ? i : ''}`, i),
    )
    await until(() => (lab.signals.counts.get('connect-attempt') ?? 0) - attemptsBefore >= FLOOD, 30_000, 'the flood arriving')

    const started = performance.now()
    const legitimate = await Promise.allSettled([
      connectFrom(lab, '127.0.0.9', { clientId: 'mon-02', username: 'mon-02', password: PASSWORDS['mon-02'] }).then((client) => ({
        client,
        ms: performance.now() - started,
      })),
      connectFrom(lab, '127.0.0.8', { clientId: 'mon-01', username: 'mon-01', password: PASSWORDS['mon-01'] }).then((client) => ({
        client,
        ms: performance.now() - started,
      })),
    ])
    // The flood runs its course before anything is judged, so it cannot spill into the next test.
    const codes = await Promise.all(flood)
    const [newcomer, returning] = legitimate.map((outcome) => {
      if (outcome.status === 'rejected') throw new Error(`a legitimate login failed under the flood: ${outcome.reason}`)
      return outcome.value
    }) as [{ client: MqttClient; ms: number }, { client: MqttClient; ms: number }]
    console.info(
      `login flood: ${FLOOD} wrong-password CONNECTs from ${ATTACKERS.length} addresses; first login of mon-02 ${Math.round(newcomer.ms)} ms, returning mon-01 ${Math.round(returning.ms)} ms`,
    )
    await Promise.all([newcomer.client.endAsync(), returning.client.endAsync()])
    expect(newcomer.ms).toBeLessThan(1000)
    expect(returning.ms).toBeLessThan(1000)
    // Every guess refused: 4 (checked), 5 (over its address's budget, unchecked) or 3 (no room to check).
    expect(codes.every((code) => code === 4 || code === 5 || code === 3)).toBe(true)

    // Never more hashes at once than half the thread pool, the flood or not.
    expect(passwordHashQueue.load.mostRunning).toBeLessThanOrEqual(passwordHashQueue.concurrency)
    expect(passwordHashQueue.concurrency).toBe(Math.max(1, Math.floor((Number(process.env.UV_THREADPOOL_SIZE) || 4) / 2)))
    // Each address's budget (20) bounds what the flood costs, however many CONNECTs it sends.
    const spent = {
      hashed: lab.registry.logins.hashed - before.hashed,
      overBudget: lab.registry.logins.overBudget - before.overBudget,
      queueFull: lab.registry.logins.queueFull - before.queueFull,
    }
    console.info(
      `login flood cost ${spent.hashed} hashes (mon-02's included), ${spent.overBudget} refused over budget, ${spent.queueFull} refused with the queue full`,
    )
    expect(spent.hashed).toBeLessThanOrEqual(ATTACKERS.length * 20 + 1)
  })

  it('refuses a name the registry does not know as slowly as a known one: the refusal does not tell which names exist', { timeout: 60_000 }, async () => {
    const known: number[] = []
    const unknown: number[] = []
    // Side by side, each from a fresh address (no budget in play), so the machine's load hits both alike.
    for (let i = 0; i < 9; i++) {
      const a = await timeRefusal(lab, `127.0.1.${i + 1}`, i % 2 === 0 ? 'mon-01' : 'root')
      const b = await timeRefusal(lab, `127.0.2.${i + 1}`, `nobody-${i}`)
      expect([a.code, b.code]).toEqual([4, 4])
      known.push(a.ms)
      unknown.push(b.ms)
    }
    const [k, u] = [median(known), median(unknown)]
    console.info(`refusal time, median of 9: known names ${k.toFixed(1)} ms, unknown names ${u.toFixed(1)} ms`)
    expect(Math.abs(k - u)).toBeLessThanOrEqual(Math.max(30, 0.35 * Math.max(k, u)))
  })
})

describe('the per-address failure budget', () => {
  let lab: Lab
  beforeAll(async () => {
    // 5 failures, one forgiven every 1.6 s: slow enough that five hashed guesses on a loaded machine
    // do not earn a sixth, quick enough that the test sees the budget refilled.
    lab = await startTestLab('strict', undefined, { security: { loginBudget: { failures: 5, windowMs: 8000 } } })
  })
  afterAll(async () => {
    await lab?.stop()
  })

  async function attempt(address: string, username: string, password: string, protocolVersion: 4 | 5 = 4): Promise<number> {
    const session = rawInProcess(lab, address)
    session.write(
      generate(
        { cmd: 'connect', protocolId: 'MQTT', protocolVersion, clean: true, clientId: username, keepalive: 30, username, password: Buffer.from(password) },
        { protocolVersion },
      ),
    )
    const connack = await session.receivedAtLeast(4)
    session.write(generate({ cmd: 'disconnect' }, { protocolVersion }))
    await session.closed
    return connack[3]!
  }

  it('refuses an address that keeps failing before its logins cost a hash, even with the right password, and forgives it in time', async () => {
    const guesser = '198.51.100.7'
    const hashedBefore = lab.registry.logins.hashed
    const codes: number[] = []
    for (let i = 0; i < 12; i++) codes.push(await attempt(guesser, 'mon-01', `guess-${i}`))
    expect(codes).toEqual([4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5])
    expect(lab.registry.logins.hashed - hashedBefore).toBe(5)
    // MQTT 5 is told 0x87, not authorized; the right password from there is refused too, unchecked.
    expect(await attempt(guesser, 'mon-01', 'another-guess', 5)).toBe(0x87)
    expect(await attempt(guesser, 'mon-01', PASSWORDS['mon-01'])).toBe(5)
    expect(lab.registry.logins.hashed - hashedBefore).toBe(5)
    // Another address is not concerned; the guesser may try again once a failure is forgiven.
    expect(await attempt('198.51.100.8', 'mon-01', PASSWORDS['mon-01'])).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 1700))
    expect(await attempt(guesser, 'mon-01', 'after-the-wait')).toBe(4)
    // The detectors still see every guess: the ones refused unchecked are guesses too.
    expect(lab.monitor.alertCounts.get('brute-force')).toBeGreaterThanOrEqual(1)
  })
})

describe('the hash queue', () => {
  let lab: Lab
  beforeAll(async () => {
    // No failure budget: only the queue stands between this address and the thread pool.
    lab = await startTestLab('strict', undefined, { security: { loginBudget: { failures: 0 } } })
    // One login first, so the queue knows what a hash costs.
    await (await connectFrom(lab, '127.0.0.1', { clientId: 'mon-01', username: 'mon-01', password: PASSWORDS['mon-01'] })).endAsync()
  })
  afterAll(async () => {
    await lab?.stop()
  })

  it('refuses an address whose logins would wait more than 2 s with CONNACK 3 (MQTT 5: 0x88), and runs no hash for a client that hung up', {
    timeout: 60_000,
  }, async () => {
    const before = { ...lab.registry.logins }
    const flood = Array.from({ length: 200 }, async (_, i) => {
      const session = rawInProcess(lab, '203.0.113.50')
      const version = i % 2 === 0 ? 4 : 5
      session.write(wrongLogin('root', i, version))
      const connack = await session.closed
      return `${version}:${connack[3]}`
    })
    // And 100 from another address that hang up once their CONNECT is in, before their turn comes.
    const quitters = Array.from({ length: 100 }, (_, i) => {
      const session = rawInProcess(lab, '203.0.113.51')
      session.write(wrongLogin('root', i))
      return session
    })
    setTimeout(() => quitters.forEach((session) => session.hangUp()), 20)
    const codes = new Set(await Promise.all(flood))
    await until(() => lab.registry.pendingChecks === 0, 30_000, 'the queue draining')
    const spent = {
      hashed: lab.registry.logins.hashed - before.hashed,
      queueFull: lab.registry.logins.queueFull - before.queueFull,
      abandoned: lab.registry.logins.abandoned - before.abandoned,
    }
    console.info(
      `hash queue, no budget: 200 parallel logins from one address and 100 from another that hung up: ${spent.hashed} hashed, ${spent.queueFull} refused with the queue full, ${spent.abandoned} hung up before their turn and cost no hash`,
    )
    expect([...codes].sort()).toEqual(['4:4', '4:3', '5:134', '5:136'].sort())
    expect(spent.queueFull).toBeGreaterThan(0)
    expect(spent.abandoned).toBeGreaterThan(0)
  })
})

describe('remembered logins across a restart (--persistence)', () => {
  it('a device that logged in before the restart logs in after it without a hash; the database holds no password', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wardlab-logins-'))
    const first = await startTestLab('strict', undefined, { persistenceDir: dir })
    await (await connectFrom(first, '127.0.0.1', { clientId: 'mon-01', username: 'mon-01', password: PASSWORDS['mon-01'] })).endAsync()
    expect(first.registry.logins.hashed).toBe(1)
    await first.stop()

    const second = await startTestLab('strict', undefined, { persistenceDir: dir })
    try {
      await (await connectFrom(second, '127.0.0.1', { clientId: 'mon-01', username: 'mon-01', password: PASSWORDS['mon-01'] })).endAsync()
      expect(second.registry.logins).toMatchObject({ hashed: 0, remembered: 1 })
      // A wrong password is still checked, and refused.
      await expect(connectFrom(second, '127.0.0.1', { clientId: 'mon-01', username: 'mon-01', password: 'wrong' })).rejects.toMatchObject({ code: 4 })
    } finally {
      await second.stop()
    }
    for (const file of readdirSync(dir)) expect(readFileSync(join(dir, file)).includes(PASSWORDS['mon-01'])).toBe(false)
  })
})
