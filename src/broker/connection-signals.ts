import type { Duplex } from 'node:stream'
import type { Aedes, AedesPublishPacket, Client, ConnackPacket, ConnectPacket, PingreqPacket, Subscription } from 'aedes'
import type { BanTarget } from '../security/ban-list.ts'
import type { Disconnector } from '../security/response.ts'
import type { ProtocolErrorKind, PublishSignal, SignalBus } from '../security/signals.ts'
import { clientAddress, identityOf, parserOf, setConnectionId } from './client-info.ts'

/** One transport connection, from accept to close. */
export interface ConnectionRecord {
  readonly id: number
  readonly client: Client
  readonly address: string
  readonly openedAt: number
  sentConnect: boolean
  /** The live session this connection's CONNECT would replace (same client id), seen at preConnect. */
  replaces: { address: string; identityName: string | undefined; connectedAt: number } | null
  connectedAt: number | null
  /** From the CONNECT packet (§3.1.2.10); 0 means the client asked for none. */
  keepaliveSeconds: number
}

/** Who holds a client id's live session, as a cluster's nodes record it for one another. */
export interface SessionHolder {
  /** Unique per connection across the cluster: the node's id and the connection's. */
  token: string
  node: string
  address: string
  identityName: string | undefined
  connectedAt: number
}

/**
 * Live client ids across a cluster's nodes (src/cluster/redis-state.ts). A client id that
 * connects to node B while node A holds it is a takeover Aedes carries out across nodes (A closes
 * its session on B's `$SYS/{id}/new/clients`), which neither node's own table shows.
 */
export interface SessionDirectory {
  readonly node: string
  /** Records `holder` as the client id's session and returns the one it replaced, if any. */
  hold(clientId: string, holder: SessionHolder): Promise<SessionHolder | null>
  /** Forgets the client id's session if `token` still holds it. */
  release(clientId: string, token: string): void
}

/** Aedes' own protocol errors (lib/handlers), by message: what the client did wrong. */
const AEDES_ERRORS: ReadonlyMap<string, ProtocolErrorKind> = new Map([
  // PUBLISH or SUBSCRIBE before CONNECT (MQTT 3.1.1 §3.1.0-1), or a second CONNECT (§3.1.0-2).
  ['Invalid protocol', 'violation'],
  ['empty topic not allowed in PUBLISH', 'violation'],
  ['# is not allowed in PUBLISH', 'violation'],
  ['+ is not allowed in PUBLISH', 'violation'],
  ['topic has too many levels', 'violation'],
  // A SUBSCRIBE filter with a wildcard out of place or no characters (§4.7.1, §4.7.3): Aedes closes the connection.
  ['impossible to SUBSCRIBE to an empty topic', 'violation'],
  ['# is only allowed in SUBSCRIBE in the last position', 'violation'],
  ['+ is only allowed in SUBSCRIBE between /', 'violation'],
  ['connect did not arrive in time', 'connect-timeout'],
])

/**
 * Turns what Aedes sees of each connection into security signals: accept and close (every
 * connection, including ones that never send CONNECT, which Aedes reports nowhere), CONNECT facts
 * (through the preConnect hook), CONNACK refusals, session takeovers, parse errors and protocol
 * violations, keep-alive timeouts, PINGREQs, SUBSCRIBEs and PUBLISH sizes. It also closes
 * connections when the response policy blocks a source.
 */
export class ConnectionWatch implements Disconnector {
  private readonly signals: SignalBus
  private readonly now: () => number
  private readonly records = new WeakMap<Client, ConnectionRecord>()
  private readonly open = new Set<ConnectionRecord>()
  private readonly openByAddress = new Map<string, number>()
  /** Connections that have not sent a CONNECT yet, by address (connection-gate.ts limits them at accept). */
  private readonly silentByAddress = new Map<string, number>()
  /** Registered sessions by client id, to see which CONNECT will replace a live one. */
  private readonly sessions = new Map<string, ConnectionRecord>()
  /** Errors that are verdicts of our own hooks (a ban), not the client's doing. */
  private readonly ownErrors = new WeakSet<Error>()
  /** Errors mqtt-packet's parser raised: the bytes were not MQTT. */
  private readonly parseErrors = new WeakSet<Error>()
  private readonly publishSignal: PublishSignal = {
    type: 'publish',
    connectionId: 0,
    clientId: '',
    address: '',
    identity: undefined,
    topic: '',
    payloadBytes: 0,
    qos: 0,
    retain: false,
  }
  private readonly directory: SessionDirectory | undefined
  private nextId = 1

  constructor(deps: { signals: SignalBus; now: () => number; sessions?: SessionDirectory }) {
    this.signals = deps.signals
    this.now = deps.now
    this.directory = deps.sessions
  }

  /** Starts watching a broker; call once, before any listener hands it a connection. */
  attach(broker: Aedes): void {
    const handle = broker.handle
    // Aedes reports a connection only once it has a client id; wrapping `handle` sees every one.
    broker.handle = (conn, req) => {
      const client = handle(conn, req)
      this.opened(client, conn as Duplex)
      return client
    }
    broker.on('client', (client) => this.registered(client))
    broker.on('clientDisconnect', (client) => {
      const record = this.sessions.get(client.id)
      if (record?.client !== client) return
      this.sessions.delete(client.id)
      this.directory?.release(client.id, this.tokenOf(record))
    })
    broker.on('clientReady', (client) => this.ready(client))
    broker.on('clientError', (client, error) => this.failed(client, error))
    broker.on('connectionError', (client, error) => this.failed(client, error))
    broker.on('keepaliveTimeout', (client) => this.emitScoped('keepalive-timeout', client))
    broker.on('ping', (_packet: PingreqPacket, client: Client) => this.emitScoped('ping', client))
    broker.on('connackSent', (packet: ConnackPacket, client: Client) => this.connackSent(packet, client))
    broker.on('subscribe', (subscriptions: Subscription[], client: Client) => this.subscribed(subscriptions, client))
    broker.on('publish', (packet: AedesPublishPacket, client: Client | null) => this.published(packet, client))
  }

  recordOf(client: Client): ConnectionRecord | undefined {
    return this.records.get(client)
  }

  /** Connections open from one address right now. */
  openFrom(address: string): number {
    return this.openByAddress.get(address) ?? 0
  }

  silentFrom(address: string): number {
    return this.silentByAddress.get(address) ?? 0
  }

  /** Marks an error as our own refusal, so it is not reported as the client's protocol error. */
  ownError(error: Error): void {
    this.ownErrors.add(error)
  }

  /**
   * Called by the preConnect hook with the CONNECT packet: records its facts (and the session it
   * would replace, which Aedes closes during registration and so can no longer be seen after).
   */
  connectPacket(client: Client, packet: ConnectPacket): ConnectionRecord | undefined {
    const record = this.records.get(client)
    if (!record) return undefined
    if (!record.sentConnect) count(this.silentByAddress, record.address, -1)
    record.sentConnect = true
    record.keepaliveSeconds = packet.keepalive ?? 0
    const live = packet.clientId ? this.sessions.get(packet.clientId) : undefined
    if (live && live.client !== client) {
      record.replaces = { address: live.address, identityName: identityOf(live.client)?.name, connectedAt: live.connectedAt ?? live.openedAt }
    }
    this.signals.emit({
      type: 'connect-attempt',
      connectionId: record.id,
      clientId: packet.clientId,
      address: record.address,
      keepaliveSeconds: record.keepaliveSeconds,
      usernamePresent: packet.username !== undefined,
      passwordPresent: packet.password !== undefined,
      cleanSession: packet.clean ?? true,
      protocolVersion: packet.protocolVersion ?? 4,
      willPresent: packet.will !== undefined && packet.will !== null,
    })
    return record
  }

  disconnect(by: BanTarget, value: string): number {
    const matching = [...this.open].filter((record) => (by === 'address' ? record.address === value : record.client.id === value))
    // Closed on the next turn: the block may have been decided inside one of Aedes' hook callbacks.
    setImmediate(() => {
      for (const record of matching) record.client.close()
    })
    return matching.length
  }

  private opened(client: Client, conn: Duplex): void {
    const record: ConnectionRecord = {
      id: this.nextId++,
      client,
      address: clientAddress(client),
      openedAt: this.now(),
      sentConnect: false,
      replaces: null,
      connectedAt: null,
      keepaliveSeconds: 0,
    }
    this.records.set(client, record)
    setConnectionId(client, record.id)
    this.open.add(record)
    count(this.openByAddress, record.address, 1)
    count(this.silentByAddress, record.address, 1)
    // Aedes forwards parser errors as plain 'error' events; listening first on its parser (a field
    // of aedes 1.2's Client, pinned by test/security-connection-signals.test.ts) tells them apart.
    const parser = parserOf(client)
    parser?.prependListener('error', (error: Error) => this.parseErrors.add(error))
    conn.once('close', () => this.closed(record))
    this.signals.emit({ type: 'connection-opened', connectionId: record.id, clientId: '', address: record.address })
  }

  private closed(record: ConnectionRecord): void {
    if (!this.open.delete(record)) return
    count(this.openByAddress, record.address, -1)
    if (!record.sentConnect) count(this.silentByAddress, record.address, -1)
    this.signals.emit({
      type: 'connection-closed',
      connectionId: record.id,
      clientId: record.client.id ?? '',
      address: record.address,
      sentConnect: record.sentConnect,
      openMs: this.now() - record.openedAt,
    })
  }

  private registered(client: Client): void {
    const record = this.records.get(client)
    if (!record) return
    this.sessions.set(client.id, record)
    if (this.directory) this.holdAcrossCluster(this.directory, client, record)
    if (!record.replaces) return
    this.emitTakeover(client, record, record.replaces)
  }

  /** A session another node held is a takeover only this node, where the new CONNECT came, reports. */
  private holdAcrossCluster(directory: SessionDirectory, client: Client, record: ConnectionRecord): void {
    const holder: SessionHolder = {
      token: this.tokenOf(record),
      node: directory.node,
      address: record.address,
      identityName: identityOf(client)?.name,
      connectedAt: this.now(),
    }
    directory.hold(client.id, holder).then(
      (previous) => {
        if (previous && previous.node !== directory.node && !record.replaces) this.emitTakeover(client, record, previous)
      },
      () => undefined,
    )
  }

  private tokenOf(record: ConnectionRecord): string {
    return `${this.directory?.node ?? ''}:${record.id}`
  }

  private emitTakeover(client: Client, record: ConnectionRecord, replaced: { address: string; identityName: string | undefined; connectedAt: number }): void {
    this.signals.emit({
      type: 'session-takeover',
      connectionId: record.id,
      clientId: client.id,
      address: record.address,
      identity: identityOf(client),
      previous: { address: replaced.address, identityName: replaced.identityName, connectedForMs: this.now() - replaced.connectedAt },
    })
  }

  private ready(client: Client): void {
    const record = this.records.get(client)
    if (!record) return
    record.connectedAt = this.now()
    this.signals.emit({
      type: 'connected',
      connectionId: record.id,
      clientId: client.id,
      address: record.address,
      identity: identityOf(client),
      keepaliveSeconds: record.keepaliveSeconds,
    })
  }

  private failed(client: Client, error: Error): void {
    const record = this.records.get(client)
    if (!record || this.ownErrors.has(error)) return
    const kind = this.parseErrors.has(error) ? 'parse' : AEDES_ERRORS.get(error.message)
    if (!kind) return
    this.signals.emit({
      type: 'protocol-error',
      connectionId: record.id,
      clientId: client.id ?? '',
      address: record.address,
      kind,
      error: error.message,
      beforeConnect: record.connectedAt === null,
    })
  }

  private connackSent(packet: ConnackPacket, client: Client): void {
    const record = this.records.get(client)
    if (!record || !packet.returnCode) return
    this.signals.emit({ type: 'connack-refused', connectionId: record.id, clientId: client.id ?? '', address: record.address, returnCode: packet.returnCode })
  }

  private subscribed(subscriptions: Subscription[], client: Client): void {
    const record = this.records.get(client)
    if (!record) return
    this.signals.emit({ type: 'subscribed', connectionId: record.id, clientId: client.id, address: record.address, filters: subscriptions.map((s) => s.topic) })
  }

  private published(packet: AedesPublishPacket, client: Client | null): void {
    if (!client) return
    const record = this.records.get(client)
    if (!record) return
    const signal = this.publishSignal
    signal.connectionId = record.id
    signal.clientId = client.id
    signal.address = record.address
    signal.identity = identityOf(client)
    signal.topic = packet.topic
    signal.payloadBytes = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length
    signal.qos = packet.qos
    signal.retain = packet.retain
    this.signals.emit(signal)
  }

  private emitScoped(type: 'keepalive-timeout' | 'ping', client: Client): void {
    const record = this.records.get(client)
    if (record) this.signals.emit({ type, connectionId: record.id, clientId: client.id ?? '', address: record.address })
  }
}

/** Adds `delta` to a count per key, forgetting keys that reach 0. */
function count(counts: Map<string, number>, key: string, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta
  if (next > 0) counts.set(key, next)
  else counts.delete(key)
}
