import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { until } from '../src/util/until.ts'
import { spawnWardlab, onFreePorts } from './support/cli.ts'

const DEFAULT_PIPELINE = fileURLToPath(new URL('../src/pipeline/default-pipeline.yaml', import.meta.url))

/** The built-in pipeline plus an archive: every valid device message, one JSON line each. */
function archivingPipeline(dir: string): string {
  const yaml = readFileSync(DEFAULT_PIPELINE, 'utf8')
    .replace(/^sinks:\n/m, 'sinks:\n  archive: { type: jsonl, file: archive.jsonl }\n')
    .concat('\n  - name: archive\n    topic: hospital/#\n    to:\n      - { sink: archive }\n')
  const file = join(dir, 'archiving-pipeline.yaml')
  writeFileSync(file, yaml)
  return file
}

function lines(file: string): number {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).length
}

describe('wardlab start stopped by a signal under load', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'drains the pipeline and flushes every sink on %s: as many lines archived as messages accepted',
    async (signal) => {
      const dir = mkdtempSync(join(tmpdir(), 'wardlab-shutdown-'))
      const output = join(dir, 'run')
      const persistence = join(dir, 'sessions')
      // The default ward at 50× publishes several hundred messages a second.
      const cli = spawnWardlab([
        'start',
        ...onFreePorts(dir),
        '--speed',
        '50',
        '--pipeline',
        archivingPipeline(dir),
        '--output',
        output,
        '--persistence',
        persistence,
      ])
      try {
        await cli.waitFor(/"msg":"wardlab started"/)
        // Under load means messages streaming in: stop once several hundred are archived, however
        // long a busy machine takes the ward to connect (every device's password is an scrypt check).
        const archive = join(output, 'archive.jsonl')
        expect(await until(() => existsSync(archive) && lines(archive) > 500, 30_000, 100)).toBe(true)
      } finally {
        cli.child.kill(signal)
      }
      // On a failure, say why: what the process printed on stderr, and its warnings and errors.
      expect(
        await cli.exited,
        cli.stderr() +
          cli
            .stdout()
            .split('\n')
            .filter((l) => /"level":[4-6]0/.test(l))
            .join('\n'),
      ).toBe(0)
      const stopped = cli
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"msg":"wardlab stopped"'))
        .map((l) => JSON.parse(l))[0]
      expect(stopped.received).toBeGreaterThan(500)
      expect(stopped.received).toBe(stopped.valid + stopped.quarantined)
      expect(lines(join(output, 'archive.jsonl'))).toBe(stopped.valid)
      expect(existsSync(join(output, 'quarantine.jsonl')) ? lines(join(output, 'quarantine.jsonl')) : 0).toBe(stopped.quarantined)
      // The durable session store was written and closed cleanly (LevelDB's CURRENT names its manifest).
      expect(readFileSync(join(persistence, 'CURRENT'), 'utf8')).toMatch(/^MANIFEST-/)
    },
    60_000,
  )
})
