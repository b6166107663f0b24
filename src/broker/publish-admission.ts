import type { Client, PublishPacket } from 'aedes'

type PublishHook = (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => void

/**
 * Back-pressure for client PUBLISHes when what consumes them (the pipeline's workers) falls
 * behind. Aedes reads a client's next packets only once the hooks of the packets it is handling
 * have called back (aedes lib/client.js: `enqueue` counts `_parsingBatch`, `nextBatch` reads the
 * socket again at zero), so holding the `authorizePublish` callback stops reading that client's
 * socket and TCP flow control pushes back to the device. Nothing is dropped and nothing piles up
 * without bound: a device sees its publishes take longer, as it would on a congested network.
 */
export class PublishAdmission {
  private held: (() => void)[] = []
  private paused = false
  /** How many times admission paused: each is a moment the pipeline could not keep up. */
  pauses = 0

  get isPaused(): boolean {
    return this.paused
  }

  /** Publishes decided after this wait until `resume`. */
  pause(): void {
    if (this.paused) return
    this.paused = true
    this.pauses++
  }

  /** Lets every held publish through, oldest first, so each client's order is kept. */
  resume(): void {
    this.paused = false
    const held = this.held
    this.held = []
    for (const proceed of held) proceed()
  }

  /** Wraps an `authorizePublish` hook: a publish it allows goes on once admission is open; refusals answer at once. */
  gate(hook: PublishHook): PublishHook {
    return (client, packet, callback) => {
      // Open (nearly always): the hook answers Aedes directly, with no closure per message. The
      // ACL decides synchronously, so admission cannot close between this check and its answer.
      if (!this.paused) return hook(client, packet, callback)
      hook(client, packet, (error) => {
        if (error || !client || !this.paused) return callback(error)
        this.held.push(() => callback(null))
      })
    }
  }
}
