import { setTimeout as sleep } from 'node:timers/promises'
import { connect, type IClientOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt'
import type { Lab } from '../../src/lab/lab.ts'
import { killClientProcesses, paho, spawnClient, type PahoEvent } from './client-processes.ts'
import { PASSWORDS, urlOf } from './lab.ts'
import { until } from './reliability.ts'

/**
 * Three MQTT client implementations behind one small interface, so an interop test states a
 * scenario once and runs it with each: Debian's mosquitto_pub / mosquitto_sub, Eclipse Paho for
 * Python (test/support/paho-client.py), and mqtt.js in process. Each reports what it saw in the
 * same shape (an Outcome), read off the client's own output: mosquitto's `-d` lines and `-F %j`
 * JSON, Paho's JSON events, mqtt.js' events and packets.
 */

export type Version = 5 | 4

/** The two protocol versions one listener serves, for describe.each. */
export const VERSIONS: readonly { version: Version; label: string }[] = [
  { version: 5, label: 'MQTT 5' },
  { version: 4, label: 'MQTT 3.1.1' },
]

/** Where and as whom a client connects. */
export interface Conn {
  /** `mqtt://host:port` or `ws://host:port/mqtt`. */
  url: string
  version: Version
  clientId: string
  username?: string
  password?: string
  /** Clean Start (v5) / CleanSession (3.1.1); true unless said. */
  clean?: boolean
  /** v5 Session Expiry Interval, seconds. */
  sessionExpiry?: number
}

/** The MQTT 5 PUBLISH properties the tests send and compare. */
export interface V5Properties {
  userProperties?: [string, string][]
  contentType?: string
  payloadFormatIndicator?: number
  messageExpiryInterval?: number
  responseTopic?: string
  /** Hex. mosquitto_pub takes correlation data as text, so keep it ASCII. */
  correlationData?: string
}

export interface Message {
  topic: string
  payload: string
  qos: 0 | 1
  retain?: boolean
  properties?: V5Properties
}

export interface Received extends Required<Omit<Message, 'properties'>> {
  properties: V5Properties
}

/** What one connection does, in this order: subscribe, publish, then wait for messages. */
export interface Plan {
  subscribe?: string
  publish?: Message[]
  /** Wait for this many messages (after the SUBACK and the publishes)… */
  expect?: number
  /** …then this long more, to see that nothing else comes; with no `expect`, just wait this long. */
  settleMs?: number
}

export interface Outcome {
  /** CONNACK: the v5 reason code, or the 3.1.1 return code. */
  connack: number | null
  /** null where the client does not tell (mosquitto). */
  sessionPresent: boolean | null
  /** SUBACK codes. */
  granted: number[]
  /** PUBACK reason codes of the QoS 1 publishes that got one (3.1.1: 0). */
  pubacks: number[]
  /** Reason code of a DISCONNECT the broker sent (v5 only). */
  disconnect: number | null
  /** The broker ended the connection (with or without DISCONNECT). */
  closed: boolean
  messages: Received[]
  /** What the client could not make sense of: protocol errors it reported. */
  errors: string[]
}

export interface Running {
  /** Settles with what the connection saw, once the plan has run. */
  done: Promise<Outcome>
}

export interface MqttImplementation {
  name: 'mosquitto' | 'paho' | 'mqtt.js'
  transports: readonly ('mqtt' | 'ws')[]
  start(conn: Conn, plan: Plan): Running
}

const blank = (): Outcome => ({ connack: null, sessionPresent: null, granted: [], pubacks: [], disconnect: null, closed: false, messages: [], errors: [] })
/** Correlation data as the tests write it: hex. */
export const hex = (text: string) => Buffer.from(text).toString('hex')
const asPairs = (props: Record<string, string | string[]>): [string, string][] =>
  Object.entries(props).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one): [string, string] => [k, one]))

export function run(implementation: MqttImplementation, conn: Conn, plan: Plan = {}): Promise<Outcome> {
  return implementation.start(conn, plan).done
}

// --- mosquitto_pub / mosquitto_sub -------------------------------------------------------------

function mosquittoArgs(conn: Conn): string[] {
  const url = new URL(conn.url)
  if (url.protocol !== 'mqtt:') throw new Error('the mosquitto clients speak MQTT over TCP only')
  const args = ['-d', '-h', url.hostname, '-p', url.port, '-V', conn.version === 5 ? '5' : '311', '-i', conn.clientId]
  if (conn.username !== undefined) args.push('-u', conn.username, '-P', conn.password ?? '')
  if (conn.clean === false) args.push('-c')
  if (conn.sessionExpiry !== undefined) args.push('-x', String(conn.sessionExpiry))
  return args
}

function mosquittoPublishArgs(m: Message): string[] {
  const args = ['-t', m.topic, '-m', m.payload, '-q', String(m.qos), ...(m.retain ? ['-r'] : [])]
  const p = m.properties ?? {}
  const property = (name: string, ...values: string[]) => args.push('-D', 'PUBLISH', name, ...values)
  for (const [k, v] of p.userProperties ?? []) property('user-property', k, v)
  if (p.contentType !== undefined) property('content-type', p.contentType)
  if (p.payloadFormatIndicator !== undefined) property('payload-format-indicator', String(p.payloadFormatIndicator))
  if (p.messageExpiryInterval !== undefined) property('message-expiry-interval', String(p.messageExpiryInterval))
  if (p.responseTopic !== undefined) property('response-topic', p.responseTopic)
  if (p.correlationData !== undefined) property('correlation-data', Buffer.from(p.correlationData, 'hex').toString())
  return args
}

/** Reads mosquitto's `-d` lines (and `-F %j` message lines) into `outcome`. */
function readMosquitto(lines: string[], stderr: string, outcome: Outcome): Outcome {
  for (const line of lines) {
    let m: RegExpMatchArray | null
    if ((m = line.match(/received CONNACK \((\d+)\)/))) outcome.connack = Number(m[1])
    else if ((m = line.match(/^Subscribed \(mid: \d+\): ([\d, ]+)/))) outcome.granted.push(...m[1]!.split(', ').map(Number))
    else if ((m = line.match(/received PUBACK \(Mid: \d+, RC:(\d+)\)/))) outcome.pubacks.push(Number(m[1]))
    else if ((m = line.match(/Received DISCONNECT \((\d+)\)/))) outcome.disconnect = Number(m[1])
    else if (line.startsWith('{')) outcome.messages.push(fromMosquittoJson(JSON.parse(line)))
  }
  outcome.closed ||= outcome.disconnect !== null || /connection was lost/i.test(stderr)
  outcome.errors.push(...stderr.split('\n').filter((l) => /protocol error/i.test(l)))
  return outcome
}

function fromMosquittoJson(j: { topic: string; payload: string; qos: 0 | 1; retain: number; properties?: Record<string, unknown> }): Received {
  const properties: V5Properties = {}
  for (const [name, value] of Object.entries(j.properties ?? {})) {
    const key = name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())
    if (key === 'userProperties') properties.userProperties = asPairs(value as Record<string, string>)
    else if (key === 'correlationData') properties.correlationData = hex(value as string)
    else (properties as Record<string, unknown>)[key] = value
  }
  return { topic: j.topic, payload: typeof j.payload === 'string' ? j.payload : JSON.stringify(j.payload), qos: j.qos, retain: j.retain === 1, properties }
}

export const mosquitto: MqttImplementation = {
  name: 'mosquitto',
  transports: ['mqtt'],
  start(conn, plan) {
    const publishAll = async (outcome: Outcome, clientId: string) => {
      for (const message of plan.publish ?? []) {
        const pub = spawnClient('mosquitto_pub', [...mosquittoArgs({ ...conn, clientId }), ...mosquittoPublishArgs(message)])
        await pub.exited
        readMosquitto(pub.lines(), pub.stderr(), outcome)
      }
      return outcome
    }
    if (!plan.subscribe) return { done: publishAll(blank(), conn.clientId) }
    const waits = plan.expect !== undefined || plan.settleMs !== undefined
    // stdbuf: mosquitto_sub's stdout is a pipe here, and its -d lines would wait in the buffer
    // until the first message flushes it; the plan needs "Subscribed" before it publishes.
    const sub = spawnClient('stdbuf', ['-oL', 'mosquitto_sub', ...mosquittoArgs(conn), '-t', plan.subscribe, '-q', '1', '-F', '%j', ...(waits ? [] : ['-E'])])
    const done = (async () => {
      const outcome = blank()
      const subscribed = await sub
        .line((l) => l.startsWith('Subscribed'))
        .then(
          () => true,
          () => false,
        )
      // The publisher is another connection: mosquitto_sub and mosquitto_pub are two programs.
      if (subscribed) await publishAll(outcome, `${conn.clientId}-pub`)
      if (subscribed && waits) {
        await until(() => sub.lines().filter((l) => l.startsWith('{')).length >= (plan.expect ?? 0), 5000, `${plan.expect} messages for mosquitto_sub`).catch(
          () => undefined,
        )
        await sleep(plan.settleMs ?? 0)
      }
      if (!subscribed || waits) sub.stop()
      // 127: stdbuf could not run mosquitto_sub.
      if ((await sub.exited) === 127) throw new Error(`${sub.stderr().trim()}: apt-get install mosquitto-clients (.ci/run does this)`)
      return readMosquitto(sub.lines(), sub.stderr(), outcome)
    })()
    return { done }
  },
}

// --- Eclipse Paho (Python) ---------------------------------------------------------------------

function fromPahoProperties(p: Record<string, unknown> = {}): V5Properties {
  const { userProperty, ...rest } = p as { userProperty?: [string, string][] } & Record<string, unknown>
  const known: (keyof V5Properties)[] = ['contentType', 'payloadFormatIndicator', 'messageExpiryInterval', 'responseTopic', 'correlationData']
  const out = Object.fromEntries(known.filter((k) => k in rest).map((k) => [k, rest[k]])) as V5Properties
  return userProperty ? { userProperties: userProperty, ...out } : out
}

function toPahoProperties(p: V5Properties = {}): Record<string, unknown> {
  const { userProperties, ...rest } = p
  return userProperties ? { userProperty: userProperties, ...rest } : rest
}

function readPaho(events: PahoEvent[]): Outcome {
  const outcome = blank()
  for (const e of events) {
    if (e.event === 'connack') {
      outcome.connack = (e.returnCode ?? e.reasonCode) as number
      outcome.sessionPresent = e.sessionPresent as boolean
    } else if (e.event === 'suback') outcome.granted.push(...(e.reasonCodes as number[]))
    else if (e.event === 'puback') outcome.pubacks.push(e.reasonCode as number)
    else if (e.event === 'message')
      outcome.messages.push({
        topic: e.topic as string,
        payload: e.payload as string,
        qos: e.qos as 0 | 1,
        retain: e.retain as boolean,
        properties: fromPahoProperties(e.properties as Record<string, unknown>),
      })
    else if (e.event === 'disconnect' && e.fromServer) outcome.disconnect = e.reasonCode as number
    else if (e.event === 'error') outcome.errors.push(e.message as string)
  }
  const end = events.find((e) => e.event === 'end')
  outcome.closed = outcome.connack === 0 && events.some((e) => e.event === 'disconnect') && end?.completed === false
  return outcome
}

export const pahoClient: MqttImplementation = {
  name: 'paho',
  transports: ['mqtt', 'ws'],
  start(conn, plan) {
    const url = new URL(conn.url)
    const steps: object[] = []
    if (plan.subscribe) steps.push({ subscribe: plan.subscribe, qos: 1 })
    for (const m of plan.publish ?? [])
      steps.push({ publish: m.topic, payload: m.payload, qos: m.qos, retain: m.retain ?? false, properties: toPahoProperties(m.properties) })
    if (plan.expect !== undefined) steps.push({ expect: plan.expect, timeout: 5 })
    if (plan.settleMs !== undefined) steps.push({ sleep: plan.settleMs / 1000 })
    steps.push({ disconnect: true })
    const run = paho({
      host: url.hostname,
      port: Number(url.port),
      transport: url.protocol === 'ws:' ? 'websockets' : 'tcp',
      path: url.pathname,
      protocol: conn.version === 5 ? 'v5' : 'v311',
      clientId: conn.clientId,
      ...(conn.username === undefined ? {} : { username: conn.username, password: conn.password ?? '' }),
      cleanStart: conn.clean ?? true,
      ...(conn.sessionExpiry === undefined ? {} : { sessionExpiry: conn.sessionExpiry }),
      steps,
    })
    return { done: run.finished.then(readPaho) }
  },
}

// --- mqtt.js -----------------------------------------------------------------------------------

const openMqttjs = new Set<MqttClient>()

function fromMqttjsProperties(p: IPublishPacket['properties'] = {}): V5Properties {
  const out: V5Properties = {}
  if (p.userProperties) out.userProperties = asPairs(p.userProperties)
  if (p.contentType !== undefined) out.contentType = p.contentType
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = Number(p.payloadFormatIndicator)
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic
  if (p.correlationData !== undefined) out.correlationData = p.correlationData.toString('hex')
  return out
}

function toMqttjsProperties(p: V5Properties = {}): IPublishPacket['properties'] {
  const userProperties: Record<string, string[]> = {}
  for (const [k, v] of p.userProperties ?? []) userProperties[k] = [...(userProperties[k] ?? []), v]
  return {
    ...(p.userProperties ? { userProperties } : {}),
    ...(p.contentType === undefined ? {} : { contentType: p.contentType }),
    ...(p.payloadFormatIndicator === undefined ? {} : { payloadFormatIndicator: p.payloadFormatIndicator === 1 }),
    ...(p.messageExpiryInterval === undefined ? {} : { messageExpiryInterval: p.messageExpiryInterval }),
    ...(p.responseTopic === undefined ? {} : { responseTopic: p.responseTopic }),
    ...(p.correlationData === undefined ? {} : { correlationData: Buffer.from(p.correlationData, 'hex') }),
  }
}

/** Rejects after `ms`, or as soon as `gone` settles: a publish the broker refuses by closing the connection never settles in mqtt.js. */
function within<T>(promise: Promise<T>, ms: number, gone: Promise<void>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms)
    void gone.then(() => reject(new Error('connection closed')))
  })
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer))
}

export const mqttjs: MqttImplementation = {
  name: 'mqtt.js',
  transports: ['mqtt', 'ws'],
  start(conn, plan) {
    const options: IClientOptions = {
      protocolVersion: conn.version,
      clientId: conn.clientId,
      clean: conn.clean ?? true,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    }
    if (conn.username !== undefined) Object.assign(options, { username: conn.username, password: conn.password ?? '' })
    if (conn.sessionExpiry !== undefined) options.properties = { sessionExpiryInterval: conn.sessionExpiry }
    const client = connect(conn.url, options)
    openMqttjs.add(client)
    const outcome = blank()
    let ending = false
    client.on('message', (topic, payload, packet) =>
      outcome.messages.push({
        topic,
        payload: payload.toString(),
        qos: packet.qos as 0 | 1,
        retain: packet.retain,
        properties: fromMqttjsProperties(packet.properties),
      }),
    )
    client.on('disconnect', (packet) => (outcome.disconnect = packet.reasonCode ?? 0))
    client.on('close', () => (outcome.closed ||= !ending && outcome.connack === 0))
    const gone = new Promise<void>((resolve) => client.once('close', () => resolve()))
    const connected = new Promise<void>((resolve) => {
      client.once('connect', (connack: IConnackPacket) => {
        outcome.connack = connack.reasonCode ?? connack.returnCode ?? 0
        outcome.sessionPresent = connack.sessionPresent
        resolve()
      })
      client.on('error', (err) => {
        if ('code' in err && typeof err.code === 'number' && outcome.connack === null) outcome.connack = err.code
        else outcome.errors.push(err.message)
        resolve()
      })
      void gone.then(resolve)
    })
    const done = (async () => {
      await connected
      if (outcome.connack === 0) {
        if (plan.subscribe) {
          const granted = await within(client.subscribeAsync(plan.subscribe, { qos: 1 }), 5000, gone).then(
            (subs) => subs.map((s) => s.qos),
            (err: { packet?: { granted: number[] } }) => err.packet?.granted ?? [],
          )
          outcome.granted.push(...granted)
        }
        for (const m of plan.publish ?? []) {
          const settled = within(
            client.publishAsync(m.topic, m.payload, {
              qos: m.qos,
              retain: m.retain ?? false,
              ...(conn.version === 5 ? { properties: toMqttjsProperties(m.properties) } : {}),
            }),
            5000,
            gone,
          )
          const code = await settled.then(
            () => 0,
            (err: { code?: number }) => err.code ?? null,
          )
          if (m.qos === 1 && code !== null) outcome.pubacks.push(code)
        }
        await until(() => outcome.messages.length >= (plan.expect ?? 0) || outcome.closed, 5000).catch(() => undefined)
        await sleep(plan.settleMs ?? 0)
      }
      ending = true
      if (client.connected) await client.endAsync()
      else client.end(true)
      openMqttjs.delete(client)
      return outcome
    })()
    return { done }
  },
}

export const IMPLEMENTATIONS: readonly MqttImplementation[] = [mosquitto, pahoClient, mqttjs]

/** Ends every client a test left behind: processes and in-process mqtt.js clients (afterEach). */
export function stopClients(): void {
  killClientProcesses()
  for (const client of openMqttjs) client.end(true)
  openMqttjs.clear()
}

/** Resolves when the broker has taken a subscription from `clientId`. */
export function subscribed(lab: Lab, clientId: string, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${clientId} did not subscribe within ${ms} ms`)), ms)
    const onSubscribe = (_subs: unknown, client: { id: string } | null) => {
      if (client?.id !== clientId) return
      clearTimeout(timer)
      lab.broker.off('subscribe', onSubscribe)
      resolve()
    }
    lab.broker.on('subscribe', onSubscribe)
  })
}

/** A registered identity of the test registry (test/support/lab.ts) connecting with its password. */
export function as(lab: Lab, version: Version, name: keyof typeof PASSWORDS, extra: Partial<Conn> = {}): Conn {
  return { url: urlOf(lab), version, clientId: name, username: name, password: PASSWORDS[name], ...extra }
}

/** An anonymous client (an observer in the lab profile). */
export function anonymous(lab: Lab, version: Version, clientId: string, extra: Partial<Conn> & { kind?: 'mqtt' | 'ws' } = {}): Conn {
  const { kind, ...rest } = extra
  return { url: urlOf(lab, kind ?? 'mqtt'), version, clientId, ...rest }
}
