import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { pollOutput, runWardlab, spawnWardlab } from './support/cli.ts'
import { inTerminal } from './support/terminal.ts'

const dir = mkdtempSync(join(tmpdir(), 'wardlab-run-output-'))
/** One expectation that holds and one that cannot (a stable patient never reaches NEWS2 7). */
const SCENARIO = join(dir, 'mixed.yaml')
writeFileSync(
  SCENARIO,
  [
    'name: mixed',
    'duration: 1m',
    'hospital:',
    '  patients: [{ id: pt-calm, ward: icu }]',
    '  devices: [{ id: mon-calm, kind: bedside-monitor, ward: icu, patient: pt-calm }]',
    'expect:',
    '  - quarantined: { max: 0 }',
    '  - news2: { patient: pt-calm, atLeast: 7 }',
    '',
  ].join('\n'),
)

/** `wardlab run` under a pseudo-terminal, as a person runs it; resolves with everything the terminal showed. */
async function runInTerminal(env: Record<string, string>): Promise<string> {
  const output = join(dir, `tty-${Object.keys(env).join('-') || 'plain'}`)
  const terminal = inTerminal(`node bin/wardlab.js run ${SCENARIO} --output ${output}`, env)
  await terminal.exited
  return terminal.output()
}

describe('wardlab run output for CI and for people', () => {
  it('says where the dashboard is with --dashboard, and the page answers there', { timeout: 90_000 }, async () => {
    const cli = spawnWardlab(['run', SCENARIO, '--output', join(dir, 'dashboard-run'), '--dashboard', '--http-port', '0', '--ws-port', '0', '--speed', '5'])
    try {
      const [, url] = await pollOutput(cli.stderr, /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/, () => cli.child.exitCode !== null, 30_000)
      expect((await fetch(url!)).status).toBe(200)
    } finally {
      cli.child.kill('SIGINT')
      await cli.exited
    }
  })

  it('writes only the summary to a non-terminal stdout, logs to the run folder, and JUnit XML a parser reads', { timeout: 90_000 }, async () => {
    const output = join(dir, 'run')
    const junit = join(dir, 'junit.xml')
    const result = await runWardlab(['run', SCENARIO, '--output', output, '--junit', junit])
    expect(result.code).toBe(1)
    const lines = result.stdout.split('\n')
    expect(lines.filter((l) => l.startsWith('{'))).toEqual([])
    expect(result.stdout).toMatch(/^FAILED {2}mixed/m)
    expect(result.stdout).not.toContain('\x1b[')
    expect(result.stdout).toContain(`log: ${join(output, 'wardlab.log')}`)
    expect(existsSync(join(output, 'wardlab.log'))).toBe(true)

    // Python's own XML parser, not ours: what a CI system's JUnit reader would get.
    const parsed = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          [
            'import json, sys, xml.etree.ElementTree as ET',
            'root = ET.parse(sys.argv[1]).getroot()',
            'suite = root.find("testsuite")',
            'cases = [{"name": c.get("name"), "classname": c.get("classname"), "failure": (c.find("failure").get("message") if c.find("failure") is not None else None)} for c in suite.findall("testcase")]',
            'print(json.dumps({"root": root.tag, "tests": suite.get("tests"), "failures": suite.get("failures"), "cases": cases}))',
          ].join('\n'),
          junit,
        ],
        { encoding: 'utf8' },
      ),
    )
    expect(parsed).toMatchObject({ root: 'testsuites', tests: '2', failures: '1' })
    expect(parsed.cases).toEqual([
      { name: 'quarantined ≤ 0', classname: 'wardlab.mixed', failure: null },
      { name: 'pt-calm reaches NEWS2 ≥ 7', classname: 'wardlab.mixed', failure: expect.stringMatching(/^highest announced NEWS2 \d/) },
    ])
    expect(readFileSync(junit, 'utf8')).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/)
  })

  it('colours the verdict in a real terminal, and not with NO_COLOR', { timeout: 120_000 }, async () => {
    const coloured = await runInTerminal({})
    expect(coloured).toContain('\x1b[31mFAILED\x1b[39m')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the ANSI colour codes are what is tested.
    expect(coloured).toMatch(/\x1b\[32mok\x1b\[39m +quarantined/)
    const plain = await runInTerminal({ NO_COLOR: '1' })
    expect(plain).toMatch(/FAILED {2}mixed/)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no ANSI colour code may be left.
    expect(plain).not.toMatch(/\x1b\[3\dm/)
  })

  it('--report picks JSON or HTML from the extension, folds long alert evidence, and refuses any other name before running', { timeout: 90_000 }, async () => {
    const html = join(dir, 'tampering.html')
    const result = await runWardlab(['run', 'scenarios/infusion-pump-tampering.yaml', '--report', html, '--output', join(dir, 'tampering')])
    expect(result.code, result.stderr).toBe(0)
    const page = readFileSync(html, 'utf8')
    expect(page).toMatch(/^<!doctype html>/i)
    // Evidence over 120 characters folds under its beginning instead of widening the table.
    expect(page).toMatch(/<details><summary><code>\{[^<]{100,}…<\/code><\/summary><pre>/)
    const refused = await runWardlab(['run', SCENARIO, '--report', join(dir, 'report.txt')])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`--report ${join(dir, 'report.txt')}: name a .json or .html file (the format follows the extension)`)
    expect(refused.stdout).toBe('')
  })
})
