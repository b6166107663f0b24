import { pino, type Logger } from 'pino'

export type { Logger }

/**
 * One logger for the process: JSON lines for machines, pino-pretty when a person is watching a
 * terminal (coloured unless NO_COLOR is set). `WARDLAB_LOG_LEVEL` (or `LOG_LEVEL`) sets the level; tests default to silent.
 */
export function createLogger(options: { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? defaultLogLevel()
  const pretty = options.pretty ?? (Boolean(process.stdout.isTTY) && !options.destination)
  if (pretty) {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { colorize: !process.env.NO_COLOR, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
    })
  }
  return options.destination ? pino({ level }, options.destination as pino.DestinationStream) : pino({ level })
}

/** `WARDLAB_LOG_LEVEL`, else `LOG_LEVEL`, else info (silent under vitest). */
export function defaultLogLevel(): string {
  return process.env.WARDLAB_LOG_LEVEL ?? process.env.LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info')
}

/** For library code and tests that do not care where logs go. */
export const silentLogger: Logger = pino({ level: 'silent' })
