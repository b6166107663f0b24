import { saveRegistry } from '../registry/load.ts'
import { WardlabError } from '../util/errors.ts'
import type { LabFiles } from './lab-files.ts'

const ACTIONS = ['add', 'list', 'remove'] as const

/** `wardlab device|user <action>`: one of add, list, remove, or a usage error saying so. */
export function requireAction(command: string, action: string): asserts action is (typeof ACTIONS)[number] {
  if (!(ACTIONS as readonly string[]).includes(action))
    throw new WardlabError('WL_USAGE', `wardlab ${command}: unknown action "${action}" (${ACTIONS.join(', ')})`)
}

/** Columns padded to their widest cell; a header line, then a row per entry. */
export function listTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line), ''].join('\n')
}

/**
 * Drops a device or user from the registry file. Nothing else in the registry refers to a device
 * or user by id, so removing one leaves no dangling reference.
 */
export function removeEntry(files: LabFiles, list: 'devices' | 'users', id: string): number {
  const key = list === 'devices' ? 'id' : 'username'
  const entries = files.registry[list] as { [k: string]: unknown }[]
  if (!entries.some((e) => e[key] === id)) {
    const known = entries.map((e) => String(e[key]))
    throw new WardlabError(
      'WL_USAGE',
      `no ${list === 'devices' ? 'device' : 'user'} "${id}" in ${files.registryFile} (${known.length > 0 ? `have ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}` : 'there are none'})`,
    )
  }
  saveRegistry(files.registryFile, { ...files.registry, [list]: entries.filter((e) => e[key] !== id) })
  process.stdout.write(
    `Removed ${list === 'devices' ? 'device' : 'user'} ${id} from ${files.registryFile}; a running wardlab start on this registry refuses it and closes its connection as soon as it sees the file change.\n`,
  )
  return 0
}

/** The flag that names the entry to add or remove. */
export function requireFlag(command: string, action: string, flag: string, value: string | undefined): string {
  if (!value) throw new WardlabError('WL_USAGE', `wardlab ${command} ${action}: --${flag} is required`)
  return value
}
