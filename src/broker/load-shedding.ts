import type { Aedes, Client } from 'aedes'
import type { Logger } from 'pino'
import type { LoadShedAction, SignalBus } from '../security/signals.ts'
import { clientAddress, connectionIdOf } from './client-info.ts'

/** The error Aedes 1.2 destroys a connection with when its drainTimeout runs out (lib/client.js). */
const DRAIN_TIMEOUT = 'drain timeout'

/**
 * Every time the broker sheds load — throttles or disconnects a client over its publish rate, or
 * drops a subscriber that stopped reading — it says so three ways: a `load-shed` security signal
 * (so detectors and the signal metric see it), a warning in the log, and a count by action for the
 * `wardlab_broker_load_shed_total` metric.
 */
export class LoadShedding {
  readonly counts = new Map<LoadShedAction, number>()
  private readonly signals: SignalBus
  private readonly log: Logger

  constructor(deps: { signals: SignalBus; log: Logger }) {
    this.signals = deps.signals
    this.log = deps.log
  }

  /** Watches for subscribers Aedes dropped because they did not drain within `drainTimeout`. */
  attach(broker: Aedes, drainTimeoutMs: number): void {
    broker.on('clientError', (client, error) => {
      if (error.message === DRAIN_TIMEOUT) this.record('drain-timeout', client, `did not read what it was sent for ${drainTimeoutMs} ms; disconnected so it stalls nobody else`)
    })
  }

  record(action: LoadShedAction, client: Client, detail: string): void {
    this.counts.set(action, (this.counts.get(action) ?? 0) + 1)
    const address = clientAddress(client)
    this.signals.emit({ type: 'load-shed', connectionId: connectionIdOf(client), clientId: client.id ?? '', address, action, detail })
    this.log.warn({ clientId: client.id, address, action }, `load shed (${action}): ${client.id ?? address} ${detail}`)
  }
}
