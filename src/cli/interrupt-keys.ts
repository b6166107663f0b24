import { readFileSync } from 'node:fs'

/**
 * In a terminal, `wardlab start` reads Ctrl-C itself rather than let the terminal turn it into
 * SIGINT for the whole foreground process group. Under `npx wardlab start` that group holds npm
 * and the `sh -c` npm runs the bin with; Debian's sh (dash) that gets SIGINT while it waits kills
 * itself with SIGINT once its child exits, however cleanly, and npm then exits 130 — a failure to
 * CI and to `&&`. With the terminal's signal keys off (raw mode, ISIG clear) only wardlab sees
 * the key, stops cleanly, and everyone above it exits 0. Output is unchanged: raw mode keeps
 * ONLCR, so lines still end as before.
 *
 * Only in the foreground: a background process that changed the terminal's mode or read it
 * would be stopped by SIGTTOU/SIGTTIN. Linux says which group is in the foreground
 * (/proc/self/stat: pgrp, tpgid); elsewhere the keys stay signals.
 *
 * Returns a function that gives the terminal back, or null when the keys stay signals.
 */
export function takeInterruptKeys(input: NodeJS.ReadStream, onKey: (key: 'interrupt' | 'quit') => void): (() => void) | null {
  if (!input.isTTY || !inForeground()) return null
  input.setRawMode(true)
  const onData = (chunk: Buffer) => {
    for (const byte of chunk) {
      if (byte === 0x03) onKey('interrupt')
      else if (byte === 0x1c) onKey('quit')
    }
  }
  input.on('data', onData)
  input.resume()
  return () => {
    input.off('data', onData)
    input.setRawMode(false)
    input.pause()
  }
}

/** Whether this process's group is the terminal's foreground group (proc(5): fields 5 and 8 of /proc/self/stat). */
function inForeground(): boolean {
  let stat: string
  try {
    stat = readFileSync('/proc/self/stat', 'utf8')
  } catch {
    return false
  }
  // The command name (field 2) may hold spaces and parentheses: fields after it follow the last ')'.
  const [, , pgrp, , , tpgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return pgrp !== undefined && pgrp === tpgid
}
