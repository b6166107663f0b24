#!/usr/bin/env node
// The published entry point. It runs the compiled CLI in dist/ when that is fresh (no compiler
// loaded: `wardlab --help` answers in a fraction of the time), else the TypeScript through tsx, so
// a clone that was never built, or was edited since, still runs its current code. It calls the
// CLI explicitly: under npx the script runs from a link whose path says nothing about wardlab.
import { compiledEntry } from './compiled-entry.js'

const compiled = compiledEntry(new URL('..', import.meta.url).pathname)
let cli
if (compiled) cli = await import(compiled)
else {
  const { register } = await import('tsx/esm/api')
  register()
  cli = await import('../src/cli/main.ts')
}
cli.runAsProcess(process.argv.slice(2))
