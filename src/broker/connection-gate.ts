import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Aedes, Client } from 'aedes'

/**
 * Stands in front of `broker.handle` for every listener and in-process connection, so the lab can
 * behave like a broker that is down: while closed, new connections are dropped before a byte is
 * read, as a refused TCP connection would be.
 */
export class ConnectionGate {
  private readonly broker: Aedes
  private readonly tap: ((stream: Duplex) => void) | undefined
  private accepting = true

  /** `tap` sees every accepted connection first (a dataset recorder capturing packets). */
  constructor(broker: Aedes, tap?: (stream: Duplex) => void) {
    this.broker = broker
    this.tap = tap
  }

  handle(stream: Duplex, request?: IncomingMessage): void {
    if (!this.accepting) {
      stream.destroy()
      return
    }
    this.tap?.(stream)
    this.broker.handle(stream, request)
  }

  /** Refuses new connections and drops every open one without a DISCONNECT. */
  close(): void {
    this.accepting = false
    const clients = (this.broker as unknown as { clients: Record<string, Client> }).clients
    for (const client of Object.values(clients)) client.conn.destroy()
  }

  open(): void {
    this.accepting = true
  }
}
