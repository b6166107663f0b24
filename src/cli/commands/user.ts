import { generatePassword, hashPassword } from '../../registry/passwords.ts'
import { silentLogger } from '../../util/log.ts'
import { labFileOptions, openLabFiles, saveWith } from '../lab-files.ts'
import { defineCommand } from '../options.ts'
import { listTable, removeEntry, requireAction, requireFlag } from '../registry-actions.ts'

export const userCommand = defineCommand({
  name: 'user',
  usage: 'wardlab user add --username <name> --role <observer|operator|admin> | wardlab user list | wardlab user remove --username <name>',
  positionals: [{ name: 'action', required: true, description: 'add, list or remove' }],
  options: {
    username: { type: 'string', placeholder: 'name', description: 'MQTT username' },
    role: {
      type: 'enum',
      values: ['observer', 'operator', 'admin'],
      default: 'observer',
      description: 'observer reads, operator also sends device commands, admin also reads $SYS',
    },
    ...labFileOptions,
  },
  async run(options, [action]) {
    requireAction('user', action!)
    // Checked before the registry is opened: opening a fresh data dir writes the default ward.
    const username = action === 'list' ? '' : requireFlag('user', action, 'username', options.username)
    const files = await openLabFiles(options, silentLogger)
    if (action === 'list') {
      process.stdout.write(
        listTable(
          ['username', 'role'],
          files.registry.users.map((u) => [u.username, u.role]),
        ),
      )
      return 0
    }
    if (action === 'remove') return removeEntry(files, 'users', username)
    const password = generatePassword()
    const user = { username, role: options.role as 'observer' | 'operator' | 'admin', passwordHash: await hashPassword(password) }
    saveWith(files, { users: [...files.registry.users, user] }, user.username)
    process.stdout.write(
      `Added ${user.role} ${user.username} to ${files.registryFile}.\n  password (shown once): ${password}\nA running wardlab start on this registry lets them in as soon as it sees the file change; no restart needed.\n`,
    )
    return 0
  },
})
