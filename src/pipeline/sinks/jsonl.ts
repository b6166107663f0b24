import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import { serialize } from './serialize.ts'
import type { Sink } from './sink.ts'

/**
 * Appends one JSON document per line (JSON Lines / NDJSON — FHIR bulk data uses the same format).
 * The stream buffers in memory rather than dropping when the disk is slower than the ward; flush
 * waits for the buffer to reach the file.
 */
export function jsonlSink(name: string, file: string, options: { withTopic?: boolean } = {}): Sink {
  mkdirSync(dirname(file), { recursive: true })
  const stream: WriteStream = createWriteStream(file, { flags: 'a' })
  let written = 0
  let failure: Error | null = null
  stream.on('error', (err) => {
    failure = err
  })
  // Writes complete in order, so an empty write's callback means everything before it reached the file.
  const settle = () =>
    new Promise<void>((resolve, reject) => {
      if (failure) return reject(failure)
      stream.write('', (err) => (err || failure ? reject(err ?? failure) : resolve()))
    })
  return {
    name,
    get written() {
      return written
    },
    write(topic, body) {
      stream.write((options.withTopic ? JSON.stringify({ topic, ...(body as object) }) : serialize(body)) + '\n')
      written++
    },
    flush: settle,
    async close() {
      await settle()
      await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())))
    },
  }
}
