import { serialize } from './serialize.ts'
import type { Sink, SinkType } from './sink.ts'

/** Prints `topic body` lines, like `mosquitto_sub -v`, for piping into jq or grep. */
export function stdoutSink(name: string, out: NodeJS.WritableStream = process.stdout): Sink {
  let written = 0
  return {
    name,
    get written() {
      return written
    },
    write(topic, body) {
      out.write(`${topic ?? '-'} ${serialize(body)}\n`)
      written++
    },
    flush: async () => undefined,
    close: async () => undefined,
  }
}

export const stdout: SinkType<Record<string, never>> = { type: 'stdout', options: {}, create: (name) => stdoutSink(name), needsTopic: () => null }
