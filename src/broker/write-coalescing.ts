import type { Aedes } from 'aedes'
import type { Writable } from 'node:stream'

/**
 * Everything the broker writes to one connection in one turn of the event loop leaves in one
 * `writev`. mqtt-packet corks the stream for each packet and uncorks it on the next tick
 * (writeToStream.js), and Aedes delivers each incoming PUBLISH in a tick of its own, so a client
 * that receives one message per device publish — the dashboard, a SIEM, the bench's subscriber —
 * cost one system call per message: at 15,000 devices a fifth of the broker thread's time
 * (BENCHMARKS.md (p)). The first write of a turn to a connection now takes one more cork, which is
 * released in the check phase of the same turn (setImmediate): the packets of the turn go out
 * together, in order, at most the rest of the turn later. Writes keep Node's own back-pressure:
 * a corked stream buffers and reports `write() === false` past its high-water mark as before.
 */
export function coalesceWrites(broker: Aedes): void {
  const handle = broker.handle
  broker.handle = (conn, req) => {
    holdCorkForTheTurn(conn)
    return handle(conn, req)
  }
}

/**
 * A turn's batch to one connection is sent once it reaches this many bytes, and the next write
 * starts another: after a stall the broker may read thousands of publishes in one turn, and the
 * subscriber's buffer must not look congested (load-shedding.ts skips deliveries past 1 MiB)
 * only because the turn has not ended. 64 KiB is a socket's usual send unit on loopback.
 */
const FLUSH_AT_BYTES = 64 * 1024

interface Hold {
  /** The stream holds the extra cork now. */
  holding: boolean
  /** The stream is in this turn's list, to be released by its immediate. */
  listed: boolean
  /** A full batch is leaving: no new hold until the packets of this tick are written. */
  flushing: boolean
}

const holds = new WeakMap<Writable, Hold>()
let listed: Writable[] = []

function releaseTheTurn(): void {
  const streams = listed
  listed = []
  for (const stream of streams) {
    const hold = holds.get(stream)!
    hold.listed = false
    if (hold.holding) {
      hold.holding = false
      stream.uncork()
    }
  }
}

function holdCorkForTheTurn(stream: Writable): void {
  const cork = stream.cork
  const hold: Hold = { holding: false, listed: false, flushing: false }
  holds.set(stream, hold)
  stream.cork = function corkForTheTurn(this: Writable) {
    if (!hold.holding && !hold.flushing) {
      hold.holding = true
      cork.call(stream)
      if (!hold.listed) {
        hold.listed = true
        if (listed.length === 0) setImmediate(releaseTheTurn)
        listed.push(stream)
      }
    } else if (hold.holding && stream.writableLength >= FLUSH_AT_BYTES) {
      // Let go of the turn's cork: the batch leaves when mqtt-packet uncorks this tick's packets,
      // and no new hold is taken until the tick is over.
      hold.holding = false
      hold.flushing = true
      stream.uncork()
      process.nextTick(() => {
        hold.flushing = false
      })
    }
    cork.call(stream)
  }
}
