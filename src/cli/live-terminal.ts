import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'
import pretty from 'pino-pretty'

const CLEAR_LINE = '\r\x1b[2K'

/**
 * The terminal's one owner while `wardlab start` runs: the live status line and the log lines
 * are written by this and nothing else, to one stream. A log line clears the status line, takes
 * its place, and the status line is drawn again under it — so the two never run into each other,
 * as they did when the status line (stderr, `\r`) and pino-pretty (stdout) each wrote on their own.
 */
export class LiveTerminal {
  private status = ''

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  /** Redraws the status line in place. */
  setStatus(text: string): void {
    this.status = text
    this.out.write(CLEAR_LINE + text)
  }

  /** Writes text above the status line (the banner), as a log line is. */
  print(text: string): void {
    this.out.write(CLEAR_LINE + text + this.status)
  }

  /** Removes the status line for good (at shutdown, before the last log lines). */
  clearStatus(): void {
    if (this.status) this.out.write(CLEAR_LINE)
    this.status = ''
  }

  /**
   * A pino logger that writes through this terminal: pino-pretty, one line per entry (an alert's
   * evidence on its line rather than 20 more), coloured unless NO_COLOR says otherwise.
   */
  logger(level: string, colour: boolean): Logger {
    const above = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.print(chunk.toString())
        done()
      },
    })
    return pino({ level }, pretty({ colorize: colour, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true, sync: true, destination: above }))
  }
}
