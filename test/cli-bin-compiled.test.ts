import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

/**
 * bin/wardlab.js runs the compiled CLI in dist/ only while it is fresh. A package laid out as
 * wardlab's, with the real bin/ and tsx, whose "CLI" says which copy answered: sources and
 * compiled output that differ, as after an edit that was not built.
 */
function fakePackage(): { root: string; answer: () => Promise<string>; age: (path: string, secondsAgo: number) => void } {
  const root = mkdtempSync(join(tmpdir(), 'wardlab-bin-'))
  cpSync(resolve('bin'), join(root, 'bin'), { recursive: true })
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'))
  writeFileSync(join(root, 'package.json'), '{"type":"module"}')
  const cli = (says: string) => `export function runAsProcess(args) { console.log(${JSON.stringify(says)}, args.join(' ')) }\n`
  mkdirSync(join(root, 'src/cli'), { recursive: true })
  mkdirSync(join(root, 'devices'))
  writeFileSync(join(root, 'src/cli/main.ts'), cli('sources'))
  writeFileSync(join(root, 'src/cli/other.ts'), '')
  mkdirSync(join(root, 'dist/src/cli'), { recursive: true })
  writeFileSync(join(root, 'dist/src/cli/main.js'), cli('compiled'))
  const age = (path: string, secondsAgo: number) => {
    const t = new Date(Date.now() - secondsAgo * 1000)
    utimesSync(join(root, path), t, t)
  }
  for (const path of ['src/cli/main.ts', 'src/cli/other.ts', 'src/cli', 'src', 'devices']) age(path, 60)
  writeFileSync(join(root, 'dist/.built'), '')
  age('dist/.built', 30)
  const answer = async () => (await run(process.execPath, [join(root, 'bin/wardlab.js'), '--help'], { timeout: 30_000 })).stdout.trim()
  return { root, answer, age }
}

describe('bin/wardlab.js and the compiled CLI', () => {
  it('runs dist/ when it is newer than every source, and the sources once one is edited after the build', async () => {
    const pkg = fakePackage()
    expect(await pkg.answer()).toBe('compiled --help')
    pkg.age('src/cli/other.ts', 0)
    expect(await pkg.answer()).toBe('sources --help')
  })

  it('runs the sources after a source is deleted (its folder changed), without a build, or when told to', async () => {
    const deleted = fakePackage()
    rmSync(join(deleted.root, 'src/cli/other.ts'))
    expect(await deleted.answer()).toBe('sources --help')

    const unbuilt = fakePackage()
    rmSync(join(unbuilt.root, 'dist/.built'))
    expect(await unbuilt.answer()).toBe('sources --help')

    const forced = fakePackage()
    const { stdout } = await run(process.execPath, [join(forced.root, 'bin/wardlab.js'), '--help'], { env: { ...process.env, WARDLAB_FROM_SOURCE: '1' } })
    expect(stdout.trim()).toBe('sources --help')
  })
})
