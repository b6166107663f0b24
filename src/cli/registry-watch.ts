import { readFileSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { Logger } from 'pino'
import type { RegistryChange } from '../lab/registry-change.ts'
import { loadRegistry } from '../registry/load.ts'
import type { Registry } from '../registry/schema.ts'
import { WardlabError } from '../util/errors.ts'

/** Edits within this long are one change: an editor's save or `device add`'s temp file and rename. */
export const REGISTRY_SETTLE_MS = 200

export interface RegistryWatch {
  /** Stops watching, after a change being applied has finished. */
  close(): Promise<void>
}

/**
 * `wardlab start` follows its registry file: `wardlab device add|remove`, `user add|remove` or a
 * hand edit takes effect in the running lab without a restart. The folder is watched, not the
 * file, because a save replaces the file (temp file, then rename) and a watch on the old one
 * would go quiet. Each settled change is loaded and validated whole first; an invalid file is
 * logged with its problems' lines, and the registry in force stays in force — a change is
 * applied entirely or not at all. Changes are applied one after another, never interleaved.
 */
export function watchRegistry(file: string, apply: (next: Registry) => Promise<RegistryChange>, log: Logger, initial: string = readText(file)): RegistryWatch {
  let lastText = initial
  let timer: NodeJS.Timeout | null = null
  let applying: Promise<void> = Promise.resolve()
  const reload = async () => {
    const text = readText(file)
    // The same bytes again (a touch, the rename after a write already seen) change nothing.
    if (text === lastText) return
    let next: Registry
    try {
      next = loadRegistry(file)
    } catch (err) {
      if (!(err instanceof WardlabError)) throw err
      lastText = text
      log.error({ file }, `registry change not applied, the registry loaded before stays in force: ${err.message}`)
      return
    }
    lastText = text
    const change = await apply(next)
    log.info({ file, ...change }, 'registry reloaded: added, removed and changed entries are in force')
  }
  const watcher: FSWatcher = watch(dirname(file), (_event, name) => {
    if (name !== null && name !== basename(file)) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      applying = applying.then(reload).catch((err) => log.error({ err, file }, 'registry change failed'))
    }, REGISTRY_SETTLE_MS)
  })
  return {
    async close() {
      watcher.close()
      if (timer) clearTimeout(timer)
      await applying
    },
  }
}

/** The file's text, or '' while it is missing (between an editor's delete and write). */
function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}
