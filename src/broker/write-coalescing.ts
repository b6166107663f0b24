import type { Aedes } from 'aedes'
import type { Writable } from 'node:stream'
import { atTheEndOfTheTurn } from '../util/end-of-turn.ts'

/**
 * What the broker writes to one connection in one turn of the event loop leaves in one or two
 * `writev`s. mqtt-packet corks the stream for each packet and uncorks it on the next tick
 * (writeToStream.js), and Aedes delivers each incoming PUBLISH in a tick of its own, so a client
 * that receives one message per device publish — the dashboard, a SIEM, the bench's subscriber —
 * cost one system call per message: at 15,000 devices a quarter of the broker thread's busy time
 * (BENCHMARKS.md (p)). A connection's second packet in a turn takes one more cork, released by an
 * immediate: Aedes writes QoS 0 deliveries from immediates of their own, so that release runs in
 * the next check phase, after one more (non-blocking) poll of the sockets — the turn's packets go
 * out together, in order, a fraction of a millisecond to a few later. Writes keep Node's own
 * back-pressure: a corked stream buffers and reports `write() === false` past its high-water mark
 * as before (and Aedes then waits for 'drain', BENCHMARKS.md (p)).
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
 * subscriber's buffer must not look congested (load-shedding.ts) only because the turn has not
 * ended. 16 KiB is the size Linux gives a TCP socket's send buffer to start with (tcp_wmem) and
 * Node's high-water mark: a batch that fits leaves in one write the kernel takes at once. A larger
 * one may be taken in part, and libuv writes the rest only when the event loop next polls — once a
 * turn — while everything written meanwhile gathers behind it for one writev of megabytes. Under
 * load, with turns of 100 ms and more, that capped a subscriber at a send buffer a turn: a cluster
 * node flat out delivered 1,100–1,700 msg/s with batches of 64 KiB, 11,000–12,100 with 16 KiB (BENCHMARKS.md (t)).
 */
const FLUSH_AT_BYTES = 16 * 1024

interface Hold {
  readonly stream: Writable
  /** The turn the stream was last written in, and how many packets it was given in it. */
  turn: number
  writes: number
  /** The stream holds the extra cork now. */
  holding: boolean
  /** The stream is in this turn's list, to be released at the turn's end. */
  listed: boolean
  /** A full batch is leaving: no new hold until the packets of this tick are written. */
  flushing: boolean
}

/** Counts turns of the event loop in which something was written; one immediate ends each. */
let turn = 0
let listed: Hold[] = []

const endTheTurn = atTheEndOfTheTurn(() => {
  turn++
  const holds = listed
  listed = []
  for (const hold of holds) {
    hold.listed = false
    if (hold.holding) {
      hold.holding = false
      hold.stream.uncork()
    }
  }
})

/**
 * A connection's first packet in a turn goes out as mqtt-packet sends it (on the next tick): a
 * device that is sent one PUBACK a turn pays nothing more. From its second packet in the same turn
 * the connection is receiving a stream of them, and the rest of the turn's packets are gathered.
 */
export function holdCorkForTheTurn(stream: Writable): void {
  const cork = stream.cork
  const hold: Hold = { stream, turn: -1, writes: 0, holding: false, listed: false, flushing: false }
  stream.cork = function corkForTheTurn(this: Writable) {
    endTheTurn()
    if (hold.turn !== turn) {
      hold.turn = turn
      hold.writes = 0
    }
    hold.writes++
    if (hold.holding) {
      if (stream.writableLength >= FLUSH_AT_BYTES) {
        // Let go of the turn's cork: the batch leaves when mqtt-packet uncorks this tick's packets,
        // and no new hold is taken until the tick is over.
        hold.holding = false
        hold.flushing = true
        stream.uncork()
        process.nextTick(() => {
          hold.flushing = false
        })
      }
    } else if (hold.writes >= 2 && !hold.flushing) {
      hold.holding = true
      cork.call(stream)
      if (!hold.listed) {
        hold.listed = true
        listed.push(hold)
      }
    }
    cork.call(stream)
  }
}
