import { deviceKind, DEVICE_KINDS } from '../../../devices/index.ts'
import { generatePassword, hashPassword } from '../../registry/passwords.ts'
import { WardlabError } from '../../util/errors.ts'
import { silentLogger } from '../../util/log.ts'
import { labFileOptions, openLabFiles, saveWith } from '../lab-files.ts'
import { defineCommand } from '../options.ts'
import { deviceNamespace } from '../../contract/topics.ts'
import { listTable, removeEntry, requireAction, requireFlag } from '../registry-actions.ts'

/**
 * Registers a real device: the registry gets its scrypt hash, the person at the keyboard gets the
 * password once, to put into the device. Nothing else ever sees it. `list` and `remove` keep the
 * registry tidy without editing YAML by hand.
 */
export const deviceCommand = defineCommand({
  name: 'device',
  usage: 'wardlab device add --id <id> --kind <kind> --ward <ward> [--bed <bed>] [--patient <id>] | wardlab device list | wardlab device remove --id <id>',
  positionals: [{ name: 'action', required: true, description: 'add, list or remove' }],
  options: {
    id: { type: 'string', placeholder: 'id', description: 'device id, also its MQTT username and client id' },
    kind: { type: 'enum', values: [...DEVICE_KINDS.keys()], description: 'device kind' },
    ward: { type: 'string', placeholder: 'ward', description: 'ward the device belongs to' },
    bed: { type: 'string', placeholder: 'bed', description: 'bed, for bedside devices' },
    patient: { type: 'string', placeholder: 'id', description: 'patient the device is attached to' },
    ...labFileOptions,
  },
  async run(options, [action]) {
    requireAction('device', action!)
    // Checked before the registry is opened: opening a fresh data dir writes the default ward.
    const id = action === 'list' ? '' : requireFlag('device', action, 'id', options.id)
    const files = await openLabFiles(options, silentLogger)
    if (action === 'list') {
      const rows = files.registry.devices.map((d) => [d.id, d.kind, d.ward, d.bed ?? '-', d.patient ?? '-', d.simulated ? 'simulated' : 'real'])
      process.stdout.write(listTable(['id', 'kind', 'ward', 'bed', 'patient', 'runs as'], rows))
      return 0
    }
    if (action === 'remove') return removeEntry(files, 'devices', id)
    for (const flag of ['kind', 'ward'] as const) {
      if (!options[flag]) throw new WardlabError('WL_USAGE', `wardlab device add: --${flag} is required`)
    }
    const password = generatePassword()
    const entry = {
      id,
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
        'A running wardlab start on this registry lets it in as soon as it sees the file change; no restart needed.',
        '',
      ].join('\n'),
    )
    return 0
  },
})
