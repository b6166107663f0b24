import { deviceKind, DEVICE_KINDS } from '../../../devices/index.ts'
import { generatePassword, hashPassword } from '../../registry/passwords.ts'
import { WardlabError } from '../../util/errors.ts'
import { silentLogger } from '../../util/log.ts'
import { labFileOptions, openLabFiles, saveWith } from '../lab-files.ts'
import { defineCommand } from '../options.ts'
import { deviceNamespace } from '../../contract/topics.ts'

/**
 * Registers a real device: the registry gets its scrypt hash, the person at the keyboard gets the
 * password once, to put into the device. Nothing else ever sees it.
 */
export const deviceCommand = defineCommand({
  name: 'device',
  summary: 'register a real device and print its one-time password',
  usage: 'wardlab device add --id <id> --kind <kind> --ward <ward> [--bed <bed>] [--patient <id>]',
  positionals: [{ name: 'add', required: true, description: 'the action (add)' }],
  options: {
    id: { type: 'string', placeholder: 'id', description: 'device id, also its MQTT username and client id' },
    kind: { type: 'enum', values: [...DEVICE_KINDS.keys()], description: 'device kind' },
    ward: { type: 'string', placeholder: 'ward', description: 'ward the device belongs to' },
    bed: { type: 'string', placeholder: 'bed', description: 'bed, for bedside devices' },
    patient: { type: 'string', placeholder: 'id', description: 'patient the device is attached to' },
    ...labFileOptions,
  },
  async run(options, [action]) {
    if (action !== 'add') throw new WardlabError('WL_USAGE', `wardlab device: unknown action "${action}" (only "add")`)
    for (const flag of ['id', 'kind', 'ward'] as const) {
      if (!options[flag]) throw new WardlabError('WL_USAGE', `wardlab device add: --${flag} is required`)
    }
    const files = await openLabFiles(options, silentLogger)
    const password = generatePassword()
    const entry = {
      id: options.id!,
      kind: options.kind!,
      ward: options.ward!,
      ...(options.bed ? { bed: options.bed } : {}),
      ...(options.patient ? { patient: options.patient } : {}),
      passwordHash: await hashPassword(password),
      simulated: false,
      options: {},
    }
    const kind = deviceKind(entry.kind)!
    if (kind.needsPatient && !entry.patient) throw new WardlabError('WL_USAGE', `wardlab device add: a ${entry.kind} needs --patient`)
    saveWith(files, { devices: [...files.registry.devices, entry] }, entry.id)
    const topic = deviceNamespace({ ward: entry.ward, kind: entry.kind, deviceId: entry.id }).slice(0, -1)
    process.stdout.write(
      [
        `Registered ${entry.kind} ${entry.id} in ${files.registryFile}.`,
        `  username / client id: ${entry.id}`,
        `  password (shown once): ${password}`,
        `  publishes on: ${topic}/{telemetry,status,alarm,event}`,
        `  commands arrive on: ${topic}/cmd`,
        'Restart wardlab start to load it.',
        '',
      ].join('\n'),
    )
    return 0
  },
})
