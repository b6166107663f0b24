import { spawn, type ChildProcess } from 'node:child_process'
import type { Logger } from 'pino'

export interface SupervisedNode {
  name: string
  /** Arguments after the script: the command and its options for this node. */
  args: string[]
}

/**
 * Runs several broker nodes of one machine as child processes of this one — one event loop (and
 * one core's worth of broker work) each, the reason to scale out at all — and keeps them as one
 * unit: SIGINT and SIGTERM go to every node, each shuts down cleanly on its own, and the exit
 * code is the worst of theirs. A node that dies takes no other down with it; Redis holds what
 * its clients need to carry on at the others.
 */
export function superviseNodes(nodes: SupervisedNode[], log: Logger): Promise<number> {
  // Re-run this same entry point (bin/wardlab.js, or src/cli/main.ts under tsx) with the same Node flags.
  const entry = [...process.execArgv, process.argv[1]!]
  const children = new Map<ChildProcess, string>()
  return new Promise<number>((resolve) => {
    let worst = 0
    const forward = (signal: NodeJS.Signals) => {
      log.info({ signal, nodes: children.size }, 'stopping every node')
      for (const child of children.keys()) child.kill(signal)
    }
    const onSigint = () => forward('SIGINT')
    const onSigterm = () => forward('SIGTERM')
    process.on('SIGINT', onSigint)
    process.on('SIGTERM', onSigterm)
    for (const node of nodes) {
      // Detached: a Ctrl-C in the terminal reaches this process only, which passes it on once;
      // a node that got it twice would take the second as "exit without a clean shutdown".
      const child = spawn(process.execPath, [...entry, ...node.args], { stdio: ['ignore', 'inherit', 'inherit'], detached: true })
      children.set(child, node.name)
      child.once('exit', (code, signal) => {
        children.delete(child)
        const exitCode = code ?? (signal ? 128 : 1)
        if (exitCode !== 0) log.warn({ node: node.name, code, signal }, 'broker node exited')
        worst = Math.max(worst, exitCode)
        if (children.size > 0) return
        process.off('SIGINT', onSigint)
        process.off('SIGTERM', onSigterm)
        resolve(worst)
      })
    }
  })
}
