import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { DEVICE_KINDS } from '../devices/index.ts'
import { runWardlab, spawnWardlab } from './support/cli.ts'

const run = promisify(execFile)

describe('wardlab start (end to end, as a user runs it)', () => {
  it('starts the default ward on free ports; mosquitto_sub sees every kind; metrics answer; Ctrl-C exits 0 having lost nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-cli-'))
    const cli = spawnWardlab(['start', '--port', '0', '--ws-port', '0', '--http-port', '0', '--data-dir', dataDir, '--speed', '5'])
    try {
      const [, port] = await cli.waitFor(/mqtt:\/\/127\.0\.0\.1:(\d+)/)
      const [, httpUrl] = await cli.waitFor(/http +(http:\/\/127\.0\.0\.1:\d+)\/metrics/)
      await cli.waitFor(/"msg":"wardlab started"/)
      expect(cli.stdout()).toContain(`mosquitto_sub -h 127.0.0.1 -p ${port} -t 'hospital/#' -v`)

      // The ward is up once every device has connected (on a loaded machine that takes a while);
      // then each device's retained status arrives at once, and live telemetry within seconds.
      const connected = async () => /wardlab_devices_connected 33\b/.test(await (await fetch(`${httpUrl}/metrics`)).text())
      for (const deadline = Date.now() + 30_000; !(await connected()); ) {
        if (Date.now() > deadline) throw new Error('the default ward did not connect within 30 s')
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
      const { stdout } = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', port!, '-V', 'mqttv311', '-t', 'hospital/#', '-v', '-W', '4'], {
        timeout: 10_000,
      }).catch((e) => e as { stdout: string })
      const kinds = new Set(
        stdout
          .trim()
          .split('\n')
          .map((line) => line.split(' ')[0]!.split('/')[2]),
      )
      expect([...kinds].sort()).toEqual([...DEVICE_KINDS.keys()].sort())
      expect(stdout).toMatch(
        /hospital\/icu\/bedside-monitor\/mon-icu-01\/telemetry \{"deviceId":"mon-icu-01","kind":"bedside-monitor","seq":\d+,"ts":\d+,"data":\{/,
      )

      const metrics = await (await fetch(`${httpUrl}/metrics`)).text()
      expect(metrics).toMatch(/wardlab_pipeline_messages_total\{outcome="received"\} [1-9]\d*/)
      expect(metrics).toMatch(/wardlab_devices_connected 33/)
    } finally {
      cli.child.kill('SIGINT')
    }
    expect(await cli.exited).toBe(0)
    const stopped = cli
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"msg":"wardlab stopped"'))
      .map((l) => JSON.parse(l))[0]
    expect(stopped.received).toBeGreaterThan(0)
    expect(stopped.quarantined).toBe(0)
    expect(stopped.received).toBe(stopped.valid + stopped.quarantined)

    const run_ = readdirSync(join(dataDir, 'runs'))[0]!
    expect(readFileSync(join(dataDir, 'runs', run_, 'fhir-observations.ndjson'), 'utf8').split('\n').length).toBeGreaterThan(10)
    // No plain-text password anywhere: the registry holds scrypt hashes only.
    expect(readFileSync(join(dataDir, 'registry.yaml'), 'utf8')).toMatch(/passwordHash: scrypt\$16384\$8\$1\$/)
  })

  it('lets a device registered with `wardlab device add` connect with its one-time password and publish', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-cli-'))
    const added = await runWardlab(['device', 'add', '--id', 'pump-bed9', '--kind', 'infusion-pump', '--ward', 'icu', '--bed', 'icu-08', '--data-dir', dataDir])
    expect(added.code).toBe(0)
    const password = added.stdout.match(/password \(shown once\): (\S+)/)![1]!
    expect(readFileSync(join(dataDir, 'registry.yaml'), 'utf8')).not.toContain(password)
    const cli = spawnWardlab(['start', '--port', '0', '--ws-port', '0', '--http-port', '0', '--data-dir', dataDir, '--devices', '0'])
    try {
      const [, port] = await cli.waitFor(/mqtt:\/\/127\.0\.0\.1:(\d+)/)
      await cli.waitFor(/"msg":"wardlab started"/)
      const publish = (pw: string) =>
        run(
          'mosquitto_pub',
          [
            '-h',
            '127.0.0.1',
            '-p',
            port!,
            '-V',
            'mqttv311',
            '-i',
            'pump-bed9',
            '-u',
            'pump-bed9',
            '-P',
            pw,
            '-t',
            'hospital/icu/infusion-pump/pump-bed9/status',
            '-r',
            '-m',
            '{"state":"online"}',
          ],
          { timeout: 10_000 },
        )
      await expect(publish(password)).resolves.toBeDefined()
      await expect(publish('not-the-password')).rejects.toMatchObject({ stderr: expect.stringMatching(/bad user name or password/i) })
    } finally {
      cli.child.kill('SIGINT')
    }
    expect(await cli.exited).toBe(0)
    expect(cli.stdout()).not.toContain(password)
  })

  it('reports a port in use with the port and the flag that changes it', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      const result = await runWardlab([
        'start',
        '--port',
        String(port),
        '--ws-port',
        '0',
        '--http-port',
        '0',
        '--data-dir',
        mkdtempSync(join(tmpdir(), 'wardlab-cli-')),
        '--devices',
        '0',
      ])
      expect(result.code).toBe(3)
      expect(result.stderr).toContain(`port ${port} (MQTT/TCP) on 127.0.0.1 is already in use; choose another with --port <port>, or --port 0 for a free one`)
    } finally {
      blocker.close()
    }
  })

  it.each([
    [['start', '--prot', '1883'], /unknown option '--prot' \(did you mean --port\?\)/],
    [['start', '--port', 'abc'], /--port must be a port number from 0 to 65535/],
    [['start', '--profile', 'wide-open'], /--profile must be one of lab, strict, open/],
    [['start', '--max-session-expiry=-5'], /--max-session-expiry must be a whole number ≥ 0/],
    [['start', '--speed=-1'], /--speed must be a number ≥ 0.001/],
    [['launch'], /unknown command 'launch'/],
  ])('exits 2 with a clear message for bad usage: %j', async (args, message) => {
    const result = await runWardlab(args)
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(message)
  })

  it('documents every flag in --help', async () => {
    const result = await runWardlab(['start', '--help'])
    expect(result.code).toBe(0)
    for (const flag of ['--port', '--ws-port', '--http-port', '--tls-cert', '--profile', '--registry', '--speed', '--seed'])
      expect(result.stdout).toContain(flag)
  })
})
