import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { jsonlSink } from '../src/pipeline/sinks/jsonl.ts'

const dir = mkdtempSync(join(tmpdir(), 'wardlab-jsonl-'))

describe('the JSON Lines file sink', () => {
  it('writes every document as one line, in order, byte for byte — across turns, buffers, non-ASCII text and oversized lines', async () => {
    const file = join(dir, 'out.ndjson')
    const sink = jsonlSink('test', file)
    const bodies: unknown[] = []
    // 3,000 documents of about 1 KB (several 256 KiB buffers in one turn), some with characters
    // UTF-8 writes in 2, 3 and 4 bytes, and two far larger than a buffer.
    for (let i = 0; i < 3000; i++) {
      const body =
        i === 1234 || i === 2999
          ? { seq: i, blob: 'é€'.repeat(200_000) }
          : { seq: i, note: i % 7 === 0 ? `température ${i} °C — 体温 🌡` : 'x'.repeat(1000 + (i % 13)) }
      bodies.push(body)
      sink.write('t', body)
      // Some documents in later turns of the event loop, as a worker's batches come.
      if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve))
    }
    await sink.close()

    const expected = bodies.map((b) => `${JSON.stringify(b)}\n`).join('')
    expect(readFileSync(file, 'utf8')).toBe(expected)
    expect(sink.written).toBe(3000)
  })
})
