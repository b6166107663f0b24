// Which code bin/wardlab.js runs: the compiled JavaScript in dist/ (`npm run build`, run by
// `npm install` as `prepare`) when it is at least as new as every source, else the TypeScript
// through tsx. Plain JavaScript, so choosing costs no compiler: a stat of each source file and
// folder (a deleted file changes its folder's mtime), a few milliseconds.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

/**
 * Written by scripts/build.mjs after a successful build, its mtime a second before the build
 * started: a source saved during the build is newer. Equal is fresh: npm gives every file of a
 * package tarball the same mtime.
 */
export const BUILD_STAMP = 'dist/.built'
/** What the build reads: a change to any of these makes dist stale. */
export const BUILD_INPUTS = ['src', 'devices', 'tsconfig.json', 'tsconfig.build.json']

/**
 * The compiled CLI's URL under `root`, or null when there is none or it is stale: an edit, a
 * `git pull` or a checkout since the build start must never run old code. `WARDLAB_FROM_SOURCE=1`
 * forces the sources.
 */
export function compiledEntry(root, env = process.env) {
  if (env.WARDLAB_FROM_SOURCE === '1') return null
  let built
  try {
    built = statSync(join(root, BUILD_STAMP)).mtimeMs
  } catch {
    return null
  }
  for (const input of BUILD_INPUTS) if (newestMtime(join(root, input)) > built) return null
  return pathToFileURL(join(root, 'dist/src/cli/main.js')).href
}

/** The latest mtime of a file, or of a folder and everything in it; 0 if it does not exist. */
function newestMtime(path) {
  let stats
  try {
    stats = statSync(path)
  } catch {
    return 0
  }
  if (!stats.isDirectory()) return stats.mtimeMs
  let newest = stats.mtimeMs
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}
