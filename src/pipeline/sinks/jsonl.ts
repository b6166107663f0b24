import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import { serialize, serializeWithTopic } from './serialize.ts'
import { z } from 'zod'
import type { Sink, SinkType } from './sink.ts'
import { atTheEndOfTheTurn } from '../../util/end-of-turn.ts'

/** Characters of lines joined into one stream write, at most (give or take the last line). */
const CHUNK_CHARS = 64 * 1024

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
  // (a Buffer each) cost more than building the line (npm run bench:pipeline). At most
  // CHUNK_CHARS at a time, though: a pipeline worker flat out takes a thousand messages or more a
  // turn, and joining a whole turn's megabytes of FHIR text into one string cost half as much
  // again per message as joining it in pieces (BENCHMARKS.md (r)).
  let lines: string[] = []
  let chars = 0
  const writeLines = () => {
    if (lines.length === 0) return
    stream.write(lines.join(''))
    lines = []
    chars = 0
  }
  const writeAtTheEndOfTheTurn = atTheEndOfTheTurn(writeLines)
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
      writeAtTheEndOfTheTurn()
      const line = options.withTopic ? serializeWithTopic(topic, body) : serialize(body)
      lines.push(line, '\n')
      written++
      chars += line.length + 1
      if (chars >= CHUNK_CHARS) writeLines()
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
