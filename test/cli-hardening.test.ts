import { mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectAsync } from 'mqtt'
import { describe, expect, it } from 'vitest'
import { runWardlab, spawnWardlab, onFreePorts } from './support/cli.ts'
import { selfSignedCertificate } from './support/tls.ts'

/** Every file and folder under `dir` with its permission bits, folders first. */
function modesUnder(dir: string): { path: string; folder: boolean; mode: number }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    const stat = statSync(path)
    const entry = { path, folder: stat.isDirectory(), mode: stat.mode & 0o777 }
    return stat.isDirectory() ? [entry, ...modesUnder(path)] : [entry]
  })
}

describe('wardlab start: listeners the user turns off, files only the owner reads', () => {
  it('refuses to start with every MQTT listener off, saying so', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-off-'))
    const { code, stderr } = await runWardlab(['start', '--port', 'off', '--ws-port', 'off', '--data-dir', dataDir])
    expect(code).toBe(2)
    expect(stderr).toContain('every MQTT listener is off (--port off, --ws-port off, and no --tls-cert/--tls-key)')
    const bad = await runWardlab(['start', '--port', 'none', '--data-dir', dataDir])
    expect(bad.stderr).toContain('--port must be a port number from 0 to 65535 (0 picks a free port, off opens none), got "none"')
  })

  it('with TLS on, --port off --ws-port off --http-port off opens MQTT over TLS alone', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-tls-only-'))
    const { certFile, keyFile } = selfSignedCertificate()
    const cli = spawnWardlab([
      'start',
      '--port',
      'off',
      '--ws-port',
      'off',
      '--http-port',
      'off',
      '--tls-port',
      '0',
      '--tls-cert',
      certFile,
      '--tls-key',
      keyFile,
      '--data-dir',
      dataDir,
      '--devices',
      '0',
    ])
    try {
      const [, port] = await cli.waitFor(/mqtts:\/\/127\.0\.0\.1:(\d+)/)
      await cli.waitFor(/"msg":"wardlab started"/)
      const banner = cli.stdout().split('"msg":"wardlab started"')[0]!
      expect(banner).not.toMatch(/mqtt:\/\/|ws:\/\/|http:\/\//)
      const observer = await connectAsync(`mqtts://127.0.0.1:${port}`, { protocolVersion: 4, rejectUnauthorized: false, reconnectPeriod: 0 })
      await observer.endAsync()
    } finally {
      cli.child.kill('SIGINT')
    }
    expect(await cli.exited).toBe(0)
  })

  it('writes everything 0600 in 0700 folders: registry, key, run folders, quarantine, LevelDB, reports, datasets', { timeout: 90_000 }, async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'wardlab-modes-')), 'data')
    expect(
      (await runWardlab(['device', 'add', '--id', 'pump-bed9', '--kind', 'infusion-pump', '--ward', 'icu', '--bed', 'icu-08', '--data-dir', dataDir])).code,
    ).toBe(0)
    expect((await runWardlab(['user', 'add', '--username', 'nurse9', '--role', 'operator', '--data-dir', dataDir])).code).toBe(0)
    const cli = spawnWardlab(['start', ...onFreePorts(dataDir), '--devices', '6', '--speed', '20', '--persistence', join(dataDir, 'sessions')])
    try {
      await cli.waitFor(/"msg":"wardlab started"/)
      await new Promise((resolve) => setTimeout(resolve, 1500))
    } finally {
      cli.child.kill('SIGINT')
    }
    expect(await cli.exited).toBe(0)
    const reports = join(dataDir, 'reports')
    const run = await runWardlab([
      'run',
      'scenarios/mri-helium-loss.yaml',
      '--report',
      join(reports, 'run.json'),
      '--html',
      join(reports, 'run.html'),
      '--output',
      join(dataDir, 'scenario-run'),
      '--export-dataset',
      join(dataDir, 'dataset'),
    ])
    expect(run.code, run.stderr).toBe(0)

    const written = [{ path: dataDir, folder: true, mode: statSync(dataDir).mode & 0o777 }, ...modesUnder(dataDir)]
    const names = written.map((w) => w.path.slice(dataDir.length + 1))
    for (const expected of ['registry.yaml', 'provisioning.key', 'sessions/CURRENT', 'reports/run.json', 'reports/run.html', 'dataset/packets.csv'])
      expect(names).toContain(expected)
    expect(names.some((n) => /^runs\/[^/]+\/quarantine\.jsonl$/.test(n) || /^runs\/[^/]+\/fhir-observations\.ndjson$/.test(n))).toBe(true)
    const loose = written.filter((w) => w.mode !== (w.folder ? 0o700 : 0o600)).map((w) => `${w.path.slice(dataDir.length)} ${w.mode.toString(8)}`)
    expect(loose).toEqual([])
  })
})
