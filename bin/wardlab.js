#!/usr/bin/env node
// The published entry point: runs the TypeScript CLI through tsx so `npx wardlab` and a global
// install work without a separate build step.
import { register } from 'tsx/esm/api'
register()
await import('../src/cli/main.ts')
