import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const exec = promisify(execFile)
const SCRIPT = 'scripts/provision-test-tools.sh'
const PACKAGES = ['mosquitto-clients', 'mosquitto', 'chromium', 'redis-server', 'openssl', 'python3-hl7', 'tshark']

/** A dpkg database (dpkg-query --admindir) in which exactly these packages are installed. */
function dpkgWith(installed: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'wardlab-dpkg-'))
  writeFileSync(join(dir, 'status'), installed.map((p) => `Package: ${p}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n\n`).join(''))
  return dir
}

async function provision(env: Record<string, string>, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('bash', [SCRIPT, ...args], { env: { ...process.env, ...env } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('npm test provisions what the suite drives (README quick start)', () => {
  it('runs before the tests: pretest, and .ci/run is npm ci and npm test', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }
    expect(pkg.scripts.pretest).toBe(`bash ${SCRIPT}`)
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/^npm ci --no-audit --no-fund\nnpm test\n$/m)
  })

  it('says nothing and succeeds when everything is there', async () => {
    const result = await provision({ DPKG_ADMINDIR: dpkgWith(PACKAGES), WARDLAB_PROVISION_PRIVILEGE: 'none' })
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' })
  })

  it('without root or passwordless sudo, prints the one command that installs what is missing and stops', async () => {
    const result = await provision({ DPKG_ADMINDIR: dpkgWith(['openssl', 'mosquitto']), WARDLAB_PROVISION_PRIVILEGE: 'none' })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('npm test needs tools this machine does not have: mosquitto-clients chromium redis-server python3-hl7 tshark.')
    const command = result.stderr.split('\n').find((l) => l.startsWith('  sudo sh -c '))!
    expect(command).toContain(
      "wireshark-common/install-setuid boolean false' | debconf-set-selections && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto-clients chromium redis-server python3-hl7 tshark",
    )
  })

  it('as root, installs the missing packages without a question (tshark asked non-interactively)', async () => {
    const result = await provision({ DPKG_ADMINDIR: dpkgWith(PACKAGES.filter((p) => p !== 'tshark')), WARDLAB_PROVISION_PRIVILEGE: 'root' }, ['--dry-run'])
    expect(result.code).toBe(0)
    expect(result.stdout.trim().split('\n')).toEqual([
      "would run: echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections",
      'would run: apt-get update -qq',
      'would run: DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tshark',
    ])
  })
})
