import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as netConnect } from 'node:net'
import { generate, parser as packetParser, type Packet } from 'mqtt-packet'
import { connect, type IConnackPacket, type IDisconnectPacket, type MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ProfileName } from '../src/broker/profile.ts'
import type { Lab } from '../src/lab/lab.ts'
import { until } from './support/reliability.ts'
import { OBSERVER, PASSWORDS, closed, connectAs, envelope, nextMessage, portOf, startTestLab, urlOf } from './support/lab.ts'

const TELEMETRY_01 = 'hospital/icu/bedside-monitor/mon-01/telemetry'
const TELEMETRY_02 = 'hospital/icu/bedside-monitor/mon-02/telemetry'
const CMD_01 = 'hospital/icu/bedside-monitor/mon-01/cmd'

const v5 = { protocolVersion: 5 as const }
const NOT_AUTHORIZED = 0x87

/** Every client a test opens, ended after it. */
const opened: MqttClient[] = []
async function open(lab: Lab, options: Parameters<typeof connectAs>[1]): Promise<MqttClient> {
  const client = await connectAs(lab, { ...v5, ...options })
  opened.push(client)
  return client
}
const asUser = (lab: Lab, name: keyof typeof PASSWORDS, extra: Parameters<typeof connectAs>[1] = {}) =>
  open(lab, { clientId: name, username: name, password: PASSWORDS[name], ...extra })

afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.endAsync(true)))
})

/** Connects with a listener on from the first byte, so a session's queued messages are all seen. */
function resume(lab: Lab, options: Parameters<typeof connectAs>[1]): Promise<{ client: MqttClient; connack: IConnackPacket; messages: string[] }> {
  const client = connect(urlOf(lab), { ...v5, reconnectPeriod: 0, connectTimeout: 5000, ...options })
  opened.push(client)
  const messages: string[] = []
  client.on('message', (_topic, payload) => messages.push(payload.toString()))
  return new Promise((resolve, reject) => {
    client.once('connect', (connack) => resolve({ client, connack, messages }))
    client.once('error', reject)
  })
}

/** The SUBACK's reason codes; mqtt.js rejects a SUBACK with any refusal, and keeps the packet on the error. */
async function subackCodes(client: MqttClient, filters: Record<string, { qos: 0 | 1 | 2 }>): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters)).map((grant) => grant.qos)
  } catch (error) {
    const packet = (error as { packet?: { granted?: number[] } }).packet
    if (!packet?.granted) throw error
    return packet.granted
  }
}

/**
 * A raw MQTT 5 subscriber to `lab/window` with Receive Maximum 3 that acknowledges one message at a
 * time, slowly: mqtt.js reads its next packet only after acknowledging the last, so it could not
 * show the broker's window.
 */
async function slowAcker(lab: Lab, options: { clientId: string; clean: boolean }) {
  const socket = netConnect(portOf(lab), '127.0.0.1')
  const parser = packetParser({ protocolVersion: 5 })
  const state = { got: [] as string[], unacked: [] as number[], mostUnacked: 0, ready: false }
  parser.on('packet', (packet: Packet) => {
    if (packet.cmd === 'connack')
      socket.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'lab/window', qos: 1 }] }, { protocolVersion: 5 }))
    if (packet.cmd === 'suback') state.ready = true
    if (packet.cmd === 'publish') {
      state.unacked.push(packet.messageId!)
      state.got.push(packet.payload.toString())
      state.mostUnacked = Math.max(state.mostUnacked, state.unacked.length)
    }
  })
  socket.on('data', (chunk) => parser.parse(chunk))
  const properties = { receiveMaximum: 3, ...(options.clean ? {} : { sessionExpiryInterval: 60 }) }
  socket.write(
    generate(
      {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 5,
        clean: options.clean,
        clientId: options.clientId,
        username: OBSERVER.username,
        password: Buffer.from(OBSERVER.password),
        keepalive: 30,
        properties,
      },
      { protocolVersion: 5 },
    ),
  )
  await until(() => state.ready, 5000, 'the SUBACK')
  return Object.assign(state, {
    async drain(count: number) {
      while (state.got.length < count || state.unacked.length > 0) {
        await until(() => state.unacked.length > 0, 5000, 'a delivery to acknowledge')
        await new Promise((resolve) => setTimeout(resolve, 5))
        socket.write(generate({ cmd: 'puback', messageId: state.unacked.shift()! }, { protocolVersion: 5 }))
      }
    },
    close: () => {
      socket.end(generate({ cmd: 'disconnect' }, { protocolVersion: 5 }))
    },
  })
}

function disconnectPacket(client: MqttClient, ms = 5000): Promise<IDisconnectPacket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no DISCONNECT within ${ms} ms`)), ms)
    client.once('disconnect', (packet) => {
      clearTimeout(timer)
      resolve(packet)
    })
  })
}

describe('MQTT 5 refusals carry reason codes and raise the same signals', () => {
  const labs = new Map<ProfileName, Lab>()
  const watchers = new Map<ProfileName, MqttClient>()

  beforeAll(async () => {
    for (const name of ['lab', 'strict'] as const) {
      const lab = await startTestLab(name)
      labs.set(name, lab)
      const watcher = await connectAs(lab, { clientId: `watch-${name}`, username: 'root', password: PASSWORDS.root })
      await watcher.subscribeAsync('security/alerts/#', { qos: 1 })
      watchers.set(name, watcher)
    }
  })

  afterAll(async () => {
    for (const watcher of watchers.values()) await watcher.endAsync()
    for (const lab of labs.values()) await lab.stop()
  })

  it('refuses a wrong password with CONNACK 0x86', async () => {
    await expect(open(labs.get('lab')!, { clientId: 'mon-01', username: 'mon-01', password: 'guess' })).rejects.toMatchObject({ code: 0x86 })
  })

  it('refuses an anonymous client in strict with CONNACK 0x87', async () => {
    await expect(open(labs.get('strict')!, { clientId: 'anyone' })).rejects.toMatchObject({ code: NOT_AUTHORIZED })
  })

  it("answers a publish on another device's topic with PUBACK 0x87 in the lab profile, keeps the connection, and raises topic-spoofing", async () => {
    const lab = labs.get('lab')!
    const device = await asUser(lab, 'mon-01')
    const alert = nextMessage(watchers.get('lab')!, (t) => t === 'security/alerts/topic-spoofing')
    await expect(device.publishAsync(TELEMETRY_02, envelope('mon-02', 0), { qos: 1 })).rejects.toMatchObject({ code: NOT_AUTHORIZED })
    expect(JSON.parse((await alert).payload.toString())).toMatchObject({ type: 'topic-spoofing', clientId: 'mon-01', evidence: { topic: TELEMETRY_02 } })
    expect(device.connected).toBe(true)
    await device.publishAsync(TELEMETRY_01, envelope('mon-01', 0), { qos: 1 })
  })

  it('disconnects the same publisher with DISCONNECT 0x87 in the strict profile, and raises topic-spoofing', async () => {
    const lab = labs.get('strict')!
    const device = await asUser(lab, 'mon-01')
    const alert = nextMessage(watchers.get('strict')!, (t) => t === 'security/alerts/topic-spoofing')
    const disconnect = disconnectPacket(device)
    device.publish(TELEMETRY_02, envelope('mon-02', 0), { qos: 1 })
    expect((await disconnect).reasonCode).toBe(NOT_AUTHORIZED)
    await closed(device)
    expect(JSON.parse((await alert).payload.toString())).toMatchObject({ type: 'topic-spoofing', clientId: 'mon-01' })
  })

  it('answers a device subscribing to # with SUBACK 0x87 for that filter alone', async () => {
    const device = await asUser(labs.get('lab')!, 'mon-01')
    expect(await subackCodes(device, { '#': { qos: 0 }, [CMD_01]: { qos: 1 } })).toEqual([NOT_AUTHORIZED, 1])
  })
})

describe('MQTT 5 request/response: replies reach only the identity that asked', () => {
  let lab: Lab

  beforeAll(async () => {
    lab = await startTestLab('lab')
  })
  afterAll(async () => {
    await lab.stop()
  })

  it('lets the addressed device answer once on the Response Topic of a command, with the correlation data, to the asker only', async () => {
    const operator = await asUser(lab, 'nurse-op')
    const device = await asUser(lab, 'mon-01')
    const snooper = await open(lab, { clientId: 'snooper' })
    await operator.subscribeAsync('reply/nurse-op/#', { qos: 1 })
    await snooper.subscribeAsync('#', { qos: 1 })
    await device.subscribeAsync(CMD_01, { qos: 1 })
    const snooped: string[] = []
    snooper.on('message', (topic) => snooped.push(topic))

    const command = nextMessage(device, (t) => t === CMD_01)
    await operator.publishAsync(CMD_01, JSON.stringify({ id: 'c1', action: 'silence-alarm' }), {
      qos: 1,
      properties: { responseTopic: 'reply/nurse-op/c1', correlationData: Buffer.from('c1') },
    })
    await command

    const reply = new Promise<{ topic: string; correlation?: string }>((resolve) =>
      operator.once('message', (topic, _payload, packet) => resolve({ topic, correlation: packet.properties?.correlationData?.toString() })),
    )
    await device.publishAsync('reply/nurse-op/c1', JSON.stringify({ type: 'command-ack', commandId: 'c1', accepted: true }), {
      qos: 1,
      properties: { correlationData: Buffer.from('c1') },
    })
    expect(await reply).toEqual({ topic: 'reply/nurse-op/c1', correlation: 'c1' })
    // The grant is spent: a second answer, or an uninvited one, is refused.
    await expect(device.publishAsync('reply/nurse-op/c1', 'again', { qos: 1 })).rejects.toMatchObject({ code: NOT_AUTHORIZED })
    await expect(device.publishAsync('reply/nurse-op/other', 'uninvited', { qos: 1 })).rejects.toMatchObject({ code: NOT_AUTHORIZED })
    await snooper.publishAsync('sandbox/ping', 'flush', { qos: 1 })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(snooped.filter((t) => t.startsWith('reply/'))).toEqual([])
  })

  it("refuses a Response Topic outside the asker's own reply namespace, and another identity's reply subscription", async () => {
    const operator = await asUser(lab, 'nurse-op')
    await expect(
      operator.publishAsync(CMD_01, JSON.stringify({ id: 'c2', action: 'silence-alarm' }), { qos: 1, properties: { responseTopic: 'alerts/clinical/forged' } }),
    ).rejects.toMatchObject({ code: NOT_AUTHORIZED })
    await expect(
      operator.publishAsync(CMD_01, JSON.stringify({ id: 'c3', action: 'silence-alarm' }), { qos: 1, properties: { responseTopic: 'reply/root/c3' } }),
    ).rejects.toMatchObject({ code: NOT_AUTHORIZED })
    const observer = await asUser(lab, 'ward-obs')
    expect(await subackCodes(observer, { 'reply/nurse-op/#': { qos: 1 } })).toEqual([NOT_AUTHORIZED])
  })
})

describe('the open profile', () => {
  let lab: Lab

  beforeAll(async () => {
    lab = await startTestLab('open')
  })
  afterAll(async () => {
    await lab.stop()
  })

  it("admits a tool's default credentials as an anonymous client that may use the sandbox, but not the hospital's topics or the outputs", async () => {
    const tool = await open(lab, { clientId: 'mqttx_1234', username: 'admin', password: 'public' })
    await tool.subscribeAsync('lab/#', { qos: 1 })
    const echo = nextMessage(tool, (t) => t === 'lab/echo')
    await tool.publishAsync('lab/echo', 'hello', { qos: 1, properties: { userProperties: { run: '1' } } })
    await echo
    await expect(tool.publishAsync(TELEMETRY_01, envelope('mon-01', 0), { qos: 1 })).rejects.toMatchObject({ code: NOT_AUTHORIZED })
    await expect(tool.publishAsync('alerts/clinical/x', '{}', { qos: 1 })).rejects.toMatchObject({ code: NOT_AUTHORIZED })
  })

  it('still wants the password of a registered name', async () => {
    await expect(open(lab, { clientId: 'mon-01', username: 'mon-01', password: 'public' })).rejects.toMatchObject({ code: 0x86 })
  })
})

describe('session expiry', () => {
  const persistenceDir = () => mkdtempSync(join(tmpdir(), 'wardlab-sessions-'))
  const publishTo = async (lab: Lab, topic: string, count: number) => {
    const publisher = await open(lab, { clientId: 'publisher', username: 'root', password: PASSWORDS.root })
    for (let i = 0; i < count; i++) await publisher.publishAsync(topic, `m${i}`, { qos: 1 })
    await publisher.endAsync()
  }
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

  it("caps a v5 client's requested interval at --max-session-expiry and says so in the CONNACK", async () => {
    const lab = await startTestLab('lab', undefined, { brokerLimits: { sessionExpiryIntervalLimit: 60 } })
    try {
      const { connack } = await resume(lab, { clientId: 'long-lived', ...OBSERVER, clean: false, properties: { sessionExpiryInterval: 86_400 } })
      expect(connack.properties?.sessionExpiryInterval).toBe(60)
    } finally {
      await lab.stop()
    }
  })

  it('keeps a v5 session across a restart while its interval lasts, and ends it, queue and all, after', async () => {
    const dir = persistenceDir()
    let lab = await startTestLab('lab', undefined, { persistenceDir: dir })
    try {
      const lasting = await open(lab, { clientId: 'lasting', ...OBSERVER, clean: false, properties: { sessionExpiryInterval: 30 } })
      const brief = await open(lab, { clientId: 'brief', ...OBSERVER, clean: false, properties: { sessionExpiryInterval: 1 } })
      await lasting.subscribeAsync('lab/queue', { qos: 1 })
      await brief.subscribeAsync('lab/queue', { qos: 1 })
      await Promise.all([lasting.endAsync(), brief.endAsync()])
      await publishTo(lab, 'lab/queue', 5)
      await lab.stop()
      await sleep(1_500)
      lab = await startTestLab('lab', undefined, { persistenceDir: dir })

      const back = await resume(lab, { clientId: 'lasting', ...OBSERVER, clean: false, properties: { sessionExpiryInterval: 30 } })
      const briefBack = await resume(lab, { clientId: 'brief', ...OBSERVER, clean: false, properties: { sessionExpiryInterval: 1 } })
      await until(() => back.messages.length === 5, 5000, 'the queued messages')
      expect(back.connack.sessionPresent).toBe(true)
      expect(back.messages).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
      expect(briefBack.connack.sessionPresent).toBe(false)
      await sleep(300)
      expect(briefBack.messages).toEqual([])
    } finally {
      await lab.stop()
    }
  })

  it('gives a 3.1.1 persistent session the server maximum, and wipes what was queued for it', async () => {
    const lab = await startTestLab('lab', undefined, { brokerLimits: { sessionExpiryIntervalLimit: 1 } })
    try {
      const old = await open(lab, { protocolVersion: 4, clientId: 'legacy', ...OBSERVER, clean: false })
      await old.subscribeAsync('lab/legacy', { qos: 1 })
      await old.endAsync()
      await publishTo(lab, 'lab/legacy', 3)
      await sleep(1_500)
      const back = await resume(lab, { protocolVersion: 4, clientId: 'legacy', ...OBSERVER, clean: false })
      await sleep(300)
      expect(back.connack.sessionPresent).toBe(false)
      expect(back.messages).toEqual([])
    } finally {
      await lab.stop()
    }
  })
})

describe('the broker honours what an MQTT 5 subscriber asked of it', () => {
  let lab: Lab

  beforeAll(async () => {
    lab = await startTestLab('lab')
  })
  afterAll(async () => {
    await lab.stop()
  })

  const publishMany = async (topic: string, count: number) => {
    const publisher = await open(lab, { clientId: 'root-pub', username: 'root', password: PASSWORDS.root })
    await Promise.all(Array.from({ length: count }, (_, i) => publisher.publishAsync(topic, `m${i}`, { qos: 1 })))
  }

  it('never has more QoS 1 messages unacknowledged than its Receive Maximum, live or from a resumed queue, and delivers them all in order', async () => {
    const live = await slowAcker(lab, { clientId: 'slow-acker', clean: true })
    try {
      await publishMany('lab/window', 20)
      await live.drain(20)
      expect(live.mostUnacked).toBe(3)
      expect(live.got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`))
    } finally {
      live.close()
    }
    const away = await slowAcker(lab, { clientId: 'resumer', clean: false })
    away.close()
    await publishMany('lab/window', 20)
    const back = await slowAcker(lab, { clientId: 'resumer', clean: false })
    try {
      await back.drain(20)
      expect(back.mostUnacked).toBe(3)
      expect(back.got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`))
    } finally {
      back.close()
    }
  })

  it('replaces a topic it has sent before with an alias, up to the Topic Alias Maximum', async () => {
    const { client } = await resume(lab, { clientId: 'alias-taker', properties: { topicAliasMaximum: 1 } })
    const wire: { topic: string; alias?: number }[] = []
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'publish') wire.push({ topic: packet.topic, alias: packet.properties?.topicAlias })
    })
    const topics: string[] = []
    client.on('message', (topic) => topics.push(topic))
    await client.subscribeAsync('lab/alias/#', { qos: 1 })
    for (const topic of ['lab/alias/a', 'lab/alias/a', 'lab/alias/b', 'lab/alias/a']) await publishMany(topic, 1)
    await until(() => topics.length === 4, 5000, 'four messages')
    expect(topics).toEqual(['lab/alias/a', 'lab/alias/a', 'lab/alias/b', 'lab/alias/a'])
    expect(wire[0]).toEqual({ topic: 'lab/alias/a', alias: 1 })
    expect(wire[1]!.alias).toBe(1)
    expect(wire[2]).toEqual({ topic: 'lab/alias/b', alias: undefined })
  })
})

describe("a persistent session's queue", () => {
  it('keeps the oldest messages up to its limit, counts the rest as queue-full once, and delivers what it kept', async () => {
    const lab = await startTestLab('lab', undefined, { offlineQueueLimit: { messages: 5, bytes: 1024 * 1024 } })
    try {
      const away = await open(lab, { clientId: 'away', ...OBSERVER, clean: false, properties: { sessionExpiryInterval: 60 } })
      await away.subscribeAsync('lab/backlog', { qos: 1 })
      await away.endAsync()
      const publisher = await open(lab, { clientId: 'backlog-pub', username: 'root', password: PASSWORDS.root })
      for (let i = 0; i < 8; i++) await publisher.publishAsync('lab/backlog', `m${i}`, { qos: 1 })
      const back = await resume(lab, { clientId: 'away', ...OBSERVER, clean: false, properties: { sessionExpiryInterval: 60 } })
      await until(() => back.messages.length === 5, 5000, 'the kept messages')
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(back.messages).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
      expect(lab.signals.counts.get('load-shed')).toBe(1)
    } finally {
      await lab.stop()
    }
  })
})

describe("a person's client id belongs to that person", () => {
  const persistenceDir = () => mkdtempSync(join(tmpdir(), 'wardlab-owners-'))

  it("refuses anyone else its client id — anonymous or registered, before and after a restart — and reports client-takeover; the owner's session stays", async () => {
    const dir = persistenceDir()
    let lab = await startTestLab('lab', undefined, { persistenceDir: dir })
    try {
      const admin = await open(lab, { protocolVersion: 4, clientId: 'root-dashboard', username: 'root', password: PASSWORDS.root, clean: false })
      await admin.subscribeAsync('security/alerts/#', { qos: 1 })
      const takeovers: unknown[] = []
      lab.signals.on((signal) => {
        if (signal.type === 'session-takeover') takeovers.push(signal)
      })
      const alert = nextMessage(admin, (t) => t === 'security/alerts/client-takeover', 10_000)
      await expect(open(lab, { protocolVersion: 4, clientId: 'root-dashboard' })).rejects.toMatchObject({ code: 2 })
      await expect(open(lab, { clientId: 'root-dashboard', username: 'ward-obs', password: PASSWORDS['ward-obs'] })).rejects.toMatchObject({ code: 0x85 })
      expect(takeovers).toMatchObject([
        { clientId: 'root-dashboard', refused: true, identity: { anonymous: true }, previous: { identityName: 'root' } },
        { clientId: 'root-dashboard', refused: true, identity: { name: 'ward-obs' }, previous: { identityName: 'root' } },
      ])
      // The alert reaches the owner's own subscription, end to end.
      expect(JSON.parse((await alert).payload.toString())).toMatchObject({ type: 'client-takeover', evidence: { previousIdentity: 'root', refused: true } })
      expect(admin.connected).toBe(true)
      await admin.endAsync()
      await lab.stop()
      lab = await startTestLab('lab', undefined, { persistenceDir: dir })
      await expect(open(lab, { protocolVersion: 4, clientId: 'root-dashboard' })).rejects.toMatchObject({ code: 2 })
      const back = await resume(lab, { protocolVersion: 4, clientId: 'root-dashboard', username: 'root', password: PASSWORDS.root, clean: false })
      expect(back.connack.sessionPresent).toBe(true)
    } finally {
      await lab.stop()
    }
  })

  it('gives anonymous clients sessions that end with their connection: v5 is told so in the CONNACK, 3.1.1 asking to keep one is refused', async () => {
    const lab = await startTestLab('lab')
    try {
      const v5client = await resume(lab, { clientId: 'anon-v5', clean: false, properties: { sessionExpiryInterval: 3600 } })
      expect(v5client.connack.properties?.sessionExpiryInterval).toBe(0)
      await v5client.client.subscribeAsync('lab/anon', { qos: 1 })
      await v5client.client.endAsync()
      const again = await resume(lab, { clientId: 'anon-v5', clean: false, properties: { sessionExpiryInterval: 3600 } })
      expect(again.connack.sessionPresent).toBe(false)
      await expect(open(lab, { protocolVersion: 4, clientId: 'anon-311', clean: false })).rejects.toMatchObject({ code: 5 })
    } finally {
      await lab.stop()
    }
  })
})
