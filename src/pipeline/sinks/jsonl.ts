import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import { serialize, serializeWithTopic } from './serialize.ts'
import { z } from 'zod'
import type { Sink, SinkType } from './sink.ts'

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
  // Lines of this turn of the event loop go to the stream as one chunk: a stream write per line
  // (a Buffer each) cost more than building the line (npm run bench:pipeline).
  let lines: string[] = []
  const writeLines = () => {
    if (lines.length === 0) return
    stream.write(lines.join(''))
    lines = []
  }
  // Writes complete in order, so an empty write's callback means everything before it reached the file.
  const settle = () =>
    new Promise<void>((resolve, reject) => {
      writeLines()
      if (failure) return reject(failure)
      stream.write('', (err) => (err || failure ? reject(err ?? failure) : resolve()))
    })
  return {
    name,
    get written() {
      return written
    },
    write(topic, body) {
      if (lines.length === 0) setImmediate(writeLines)
      lines.push(options.withTopic ? serializeWithTopic(topic, body) : serialize(body), '\n')
      written++
    },
    flush: settle,
    async close() {
      await settle()
      await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())))
    },
  }
}

const jsonlOptions = {
  file: z.string().min(1),
  /** Each line records the topic its route rendered, so the file reads like the broker stream. */
  withTopic: z.boolean().default(false),
}

export const jsonl: SinkType<typeof jsonlOptions> = {
  type: 'jsonl',
  options: jsonlOptions,
  create: (name, options, context) => jsonlSink(name, context.file(options.file), { withTopic: options.withTopic }),
  needsTopic: (options) => (options.withTopic ? 'records topics (withTopic)' : null),
}
