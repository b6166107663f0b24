import { deviceContract } from '../contract/devices/index.ts'
import { DRUGS, checkRate, type DrugId } from '../contract/devices/drug-library.ts'
import type { DeviceEntry } from '../registry/schema.ts'
import { telemetryRanges } from './field-ranges.ts'

type Command = { action?: unknown } & Record<string, unknown>

/**
 * Ventilator settings whose command parameter is the value the ventilator reports in telemetry:
 * the telemetry schema's range for that field is the device's hard limit (devices/ventilator.ts).
 */
const VENTILATOR_SETTINGS: Readonly<Record<string, { param: string; field: string }>> = {
  'set-peep': { param: 'peep', field: 'peep' },
  'set-fio2': { param: 'fio2', field: 'fio2' },
  'set-tidal-volume': { param: 'tidalVolume', field: 'setTidalVolume' },
}

const pumpOptions = new WeakMap<DeviceEntry, { drug: DrugId; patientWeightKg: number }>()

/**
 * Why a command (already valid against the kind's command schema) asks for a setting beyond the
 * target device's hard limit, or null when it does not. The device would refuse it too; the
 * broker reports it because someone tried. A pump's limit depends on its drug and patient weight
 * (registry options, devices/drug-library.ts); soft limits are the clinician's to override, so only
 * hard limits count.
 */
export function commandOverLimit(device: DeviceEntry, command: Command): string | null {
  if (device.kind === 'infusion-pump' && command.action === 'change-rate' && typeof command.rate === 'number') {
    const options = pumpOptionsOf(device)
    if (!options) return null
    const check = checkRate(DRUGS[options.drug], command.rate, options.patientWeightKg, true)
    return check.allowed ? null : check.reason
  }
  const setting = device.kind === 'ventilator' && typeof command.action === 'string' ? VENTILATOR_SETTINGS[command.action] : undefined
  if (setting) {
    const value = command[setting.param]
    const range = telemetryRanges(device.kind).get(setting.field)
    if (range && typeof value === 'number' && (value < range.min || value > range.max))
      return `${setting.field} ${value} is outside the ventilator's hard limits ${range.min}–${range.max}`
  }
  return null
}

function pumpOptionsOf(device: DeviceEntry): { drug: DrugId; patientWeightKg: number } | null {
  let options = pumpOptions.get(device)
  if (!options) {
    const parsed = deviceContract(device.kind)?.optionsSchema.safeParse(device.options)
    if (!parsed?.success) return null
    options = parsed.data as { drug: DrugId; patientWeightKg: number }
    pumpOptions.set(device, options)
  }
  return options
}
