import { buildPcdMessage, type PcdMessage } from '../clinical/hl7/pcd-message.ts'
import type { KeyValueStore } from '../util/key-value-store.ts'
import { silentLogger, type Logger } from '../util/log.ts'
import { LinkJournal } from './link-journal.ts'
import { MllpLink } from './link.ts'
import type { LinkConfigInput } from './link-config.ts'
import type { LinkStats } from './link-stats.ts'

/**
 * The lab's side of `--hl7`: one MllpLink per receiver, each message sent to every receiver (a
 * gateway feeding the EHR interface and an alarm manager at once). Each link stamps its own
 * MSH-10 and MSH-13, so each receiver sees its own gap-free sequence (HL7 v2.6 ch. 2.10.2).
 * Lives on the broker's thread: pipeline workers hand their HL7 sinks' messages here.
 */
export class Hl7Gateway {
  readonly links: readonly MllpLink[]
  /** Messages the mapping refused to build (logged): none is expected. */
  mappingErrors = 0

  private constructor(
    links: readonly MllpLink[],
    private readonly log: Logger,
  ) {
    this.links = links
  }

  /**
   * The links, each with its backlog kept in `store` when there is one (`--persistence`): what an
   * earlier run left unacknowledged there is sent first, and the sequence numbers continue.
   */
  static async open(configs: readonly LinkConfigInput[], options: { log?: Logger; store?: KeyValueStore } = {}): Promise<Hl7Gateway> {
    const log = options.log ?? silentLogger
    const store = options.store
    const links = await Promise.all(
      configs.map(async (config) => new MllpLink(config, { log, ...(store ? { durable: await LinkJournal.open(store, config.url, log) } : {}) })),
    )
    return new Hl7Gateway(links, log)
  }

  start(): void {
    for (const link of this.links) link.start()
  }

  /** Hands one message to every link; each builds the text with its own stamp. */
  send(message: PcdMessage): void {
    try {
      for (const link of this.links) link.send((stamp) => buildPcdMessage(message, stamp))
    } catch (error) {
      // A mapping bug must not take the broker's thread down; nothing was counted or sent for it.
      this.mappingErrors++
      this.log.error({ err: error, device: message.input.device.id, profile: message.profile }, 'HL7 message could not be built')
    }
  }

  stats(): LinkStats[] {
    return this.links.map((link) => link.stats())
  }

  /** Waits up to `timeoutMs` for every backlog to empty; true when nothing is pending. */
  async drain(timeoutMs: number): Promise<boolean> {
    const done = await Promise.all(this.links.map((link) => link.drain(timeoutMs)))
    return done.every(Boolean)
  }

  /** Stops every link and waits for their journals to be written. */
  async close(): Promise<void> {
    for (const link of this.links) link.close()
    await Promise.all(this.links.map((link) => link.flushed()))
  }
}
