#!/usr/bin/env node
// The published entry point: runs the TypeScript CLI through tsx so `npx wardlab` and a global
// install work without a separate build step. It calls the CLI explicitly: under npx the script
// runs from a link whose path says nothing about wardlab.
import { register } from 'tsx/esm/api'
register()
const { runAsProcess } = await import('../src/cli/main.ts')
runAsProcess(process.argv.slice(2))
