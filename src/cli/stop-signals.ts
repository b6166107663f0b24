import { takeInterruptKeys } from './interrupt-keys.ts'

/**
 * One Ctrl-C in a terminal often reaches wardlab twice: `npm start` and tsx each pass the
 * terminal's SIGINT on to their child, which also got it from the terminal's process group. A
 * repeat within `sameRequestMs` of the first is therefore the same request, not an impatient user;
 * only a later repeat (or a third signal) asks to exit without a clean shutdown.
 */
export const SAME_REQUEST_MS = 1500

export interface StopSignals {
  /** Removes the handlers (after a clean stop, so a later signal gets Node's default). */
  dispose(): void
}

export function onStopSignals(
  handlers: { stop(signal: NodeJS.Signals): void; force(signal: NodeJS.Signals): void },
  options: { sameRequestMs?: number; now?: () => number; keyboard?: NodeJS.ReadStream } = {},
): StopSignals {
  const window = options.sameRequestMs ?? SAME_REQUEST_MS
  const now = options.now ?? (() => performance.now())
  let first: number | null = null
  let count = 0
  const onSignal = (signal: NodeJS.Signals) => {
    count++
    if (first === null) {
      first = now()
      handlers.stop(signal)
      return
    }
    if (count === 2 && now() - first < window) return
    handlers.force(signal)
  }
  // SIGQUIT (Ctrl-\ where the keys stay signals, or kill -QUIT) forces, as the key does: Node's default would dump core without a word.
  const onQuit = () => handlers.force('SIGQUIT')
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('SIGQUIT', onQuit)
  // Ctrl-C read from the terminal is one request, however many processes above would have passed it on; Ctrl-\ (quit) forces.
  const releaseKeys = options.keyboard ? takeInterruptKeys(options.keyboard, (key) => (key === 'quit' ? handlers.force('SIGQUIT') : onSignal('SIGINT'))) : null
  return {
    dispose() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      process.off('SIGQUIT', onQuit)
      releaseKeys?.()
    },
  }
}
