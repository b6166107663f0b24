import { generatePassword, hashPassword } from '../../registry/passwords.ts'
import { WardlabError } from '../../util/errors.ts'
import { silentLogger } from '../../util/log.ts'
import { labFileOptions, openLabFiles, saveWith } from '../lab-files.ts'
import { defineCommand } from '../options.ts'

export const userCommand = defineCommand({
  name: 'user',
  summary: 'add an observer, operator or admin and print the one-time password',
  usage: 'wardlab user add --username <name> --role <observer|operator|admin>',
  positionals: [{ name: 'add', required: true, description: 'the action (add)' }],
  options: {
    username: { type: 'string', placeholder: 'name', description: 'MQTT username' },
    role: { type: 'enum', values: ['observer', 'operator', 'admin'], default: 'observer', description: 'observer reads, operator also sends device commands, admin also reads $SYS' },
    ...labFileOptions,
  },
  async run(options, [action]) {
    if (action !== 'add') throw new WardlabError('WL_USAGE', `wardlab user: unknown action "${action}" (only "add")`)
    if (!options.username) throw new WardlabError('WL_USAGE', 'wardlab user add: --username is required')
    const files = await openLabFiles(options, silentLogger)
    const password = generatePassword()
    const user = { username: options.username, role: options.role as 'observer' | 'operator' | 'admin', passwordHash: await hashPassword(password) }
    saveWith(files, { users: [...files.registry.users, user] }, user.username)
    process.stdout.write(`Added ${user.role} ${user.username} to ${files.registryFile}.\n  password (shown once): ${password}\nRestart wardlab start to load it.\n`)
    return 0
  },
})
