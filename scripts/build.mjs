// `npm run build` (and `prepare`, so `npm install` builds): compiles src/ and devices/ into dist/
// with tsc, then writes dist/.built with the build's start time, which bin/compiled-entry.js
// compares with the sources. dist/ goes first, so a failed or interrupted build leaves no
// stamp and bin/wardlab.js runs the sources. `--if-possible` (prepare): a failed build warns and
// leaves the install working on the sources, rather than failing `npm install`.
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const stamp = `${root}dist/.built`
const ifPossible = process.argv.includes('--if-possible')
// From clean: a source deleted since the last build must not leave its compiled twin behind.
rmSync(`${root}dist`, { recursive: true, force: true })
// A second early: a source saved during the build is newer than the stamp, on any file system's mtime resolution.
const started = new Date(Date.now() - 1000)
let tsc
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
} catch {
  // An install without devDependencies (npm install --omit=dev): no compiler, the sources run.
  console.warn('wardlab build: typescript is not installed; bin/wardlab.js runs the TypeScript sources through tsx')
  process.exit(ifPossible ? 0 : 1)
}
const result = spawnSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' })
if (result.status !== 0) {
  console.warn('wardlab build: tsc failed; bin/wardlab.js runs the TypeScript sources through tsx until a build succeeds')
  process.exit(ifPossible ? 0 : (result.status ?? 1))
}
mkdirSync(`${root}dist`, { recursive: true })
writeFileSync(stamp, `built ${new Date().toISOString()} from the sources as they were at ${started.toISOString()}\n`)
utimesSync(stamp, started, started)
