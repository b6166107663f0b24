import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Aedes } from 'aedes'
import type { SignalBus } from '../security/signals.ts'
import type { ConnectionWatch } from './connection-signals.ts'

/**
 * Stands in front of `broker.handle` for every listener and in-process connection, so the lab can
 * behave like a broker that is down: while closed, new connections are dropped before a byte is
 * read, as a refused TCP connection would be.
 */
export class ConnectionGate {
  private readonly broker: Aedes
  private readonly tap: ((stream: Duplex) => void) | undefined
  private readonly admit: ((address: string) => boolean) | undefined
  private accepting = true
  private readonly streams = new Set<Duplex>()

  /**
   * `tap` sees every accepted connection first (a dataset recorder capturing packets). `admit`
   * decides by the peer's address before a byte is read: the per-address connection limit, which
   * the CONNECT check (hooks/pre-connect.ts) alone cannot enforce on connections that never send
   * one — each held a socket and whatever it sent until connectTimeout.
   */
  constructor(broker: Aedes, tap?: (stream: Duplex) => void, admit?: (address: string) => boolean) {
    this.broker = broker
    this.tap = tap
    this.admit = admit
  }

  handle(stream: Duplex, request?: IncomingMessage): void {
    if (!this.accepting || (this.admit && !this.admit(peerAddress(stream, request)))) {
      stream.destroy()
      return
    }
    this.tap?.(stream)
    this.streams.add(stream)
    stream.once('close', () => this.streams.delete(stream))
    this.broker.handle(stream, request)
  }

  /** Refuses new connections and drops every open one without a DISCONNECT. */
  close(): void {
    this.accepting = false
    // Every connection the gate let in, logged in or not: one still authenticating is not yet in
    // Aedes' `clients`, and would otherwise come through an outage it should not have survived.
    for (const stream of this.streams) stream.destroy()
  }

  open(): void {
    this.accepting = true
  }
}

/** The address clientAddress() will give the connection's client (client-info.ts), known before Aedes sees it. */
function peerAddress(stream: Duplex, request?: IncomingMessage): string {
  return request?.socket?.remoteAddress ?? (stream as Partial<Socket>).remoteAddress ?? 'unknown'
}

/**
 * The per-address connection limit at accept time (0: none), for connections that have not said
 * who they are: past `max` of them from one address, a new one is dropped unread and reported as
 * the CONNECT check reports it (`connect-refused`, `address-limit`). A client that does send its
 * CONNECT is counted with the rest and, over the limit, told so in a CONNACK (hooks/pre-connect.ts).
 */
export function addressLimit(max: number, connections: ConnectionWatch, signals: SignalBus): ((address: string) => boolean) | undefined {
  if (max <= 0) return undefined
  return (address) => {
    const silent = connections.silentFrom(address)
    if (silent < max) return true
    signals.emit({
      type: 'connect-refused',
      connectionId: 0,
      clientId: '',
      address,
      reason: 'address-limit',
      detail: `${silent} connections from ${address} have sent no CONNECT, the limit is ${max}; dropped before reading`,
    })
    return false
  }
}
