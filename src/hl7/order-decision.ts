import { deriveEui64 } from '../clinical/hl7/eui64.ts'
import type { InfusionOrder } from '../clinical/hl7/pcd03.ts'
import { checkRate, DRUGS, type DrugId } from '../contract/devices/drug-library.ts'
import { infusionPumpContract } from '../contract/devices/infusion-pump.ts'
import type { HospitalRegistry } from '../registry/registry.ts'
import type { DeviceEntry } from '../registry/schema.ts'
import type { OrderDecision } from './order-listener.ts'

/** The pump command an accepted order becomes: the infusion pump contract's `change-rate` (src/contract/devices/infusion-pump.ts). */
export interface PumpProgramme {
  pump: DeviceEntry
  command: { id: string; action: 'change-rate'; rate: number; vtbi?: number; issuedBy: string }
}

export type OrderVerdict = { accepted: true; programme: PumpProgramme } | Extract<OrderDecision, { accepted: false }>

const PUMP_KIND = 'infusion-pump'

/**
 * IHE PCD-03 as the Infusion Order Consumer checks it before programming (PCD TF-1 PIV: "the
 * pump validates the order against the patient, the device and its drug library"): the target
 * pump (OBX-18 EUI-64, else the bed of PV1-3), the patient in that bed (PID-3), the drug loaded
 * in it (RXG-4), and the rate against the drug library's limits for the patient's weight — the
 * same `checkRate` the pump applies to a command. A drug change needs a new syringe or bag at the
 * bedside, so an order for another drug than the one loaded is refused rather than pretended.
 */
export function decideOrder(order: InfusionOrder, registry: HospitalRegistry): OrderVerdict {
  const pumps = registry.data.devices.filter((d) => d.kind === PUMP_KIND)
  const pump = order.deviceEui
    ? pumps.find((d) => deriveEui64(d.id) === order.deviceEui)
    : pumps.find((d) => d.bed !== undefined && d.bed === order.location.bed && (!order.location.ward || order.location.ward === d.ward))
  if (!pump)
    return {
      accepted: false,
      reason: order.deviceEui ? `no infusion pump with EUI-64 ${order.deviceEui}` : `no infusion pump at bed ${order.location.bed ?? '(none)'}`,
      code: 'UNKNOWN_PUMP',
    }
  if (!pump.patient || order.patientId !== pump.patient) {
    return {
      accepted: false,
      reason: `order is for patient ${order.patientId ?? '(none)'}, pump ${pump.id} at bed ${pump.bed ?? '(none)'} serves ${pump.patient ?? 'no patient'}`,
      code: 'WRONG_PATIENT',
    }
  }
  const drugId = order.drug.code as DrugId
  const drug = DRUGS[drugId]
  if (!drug) return { accepted: false, reason: `unknown drug ${order.drug.code} (${order.drug.text}): not in the pump's drug library`, code: 'UNKNOWN_DRUG' }
  // The pump's options as the pump reads them (its contract's schema, defaults filled in).
  const options = infusionPumpContract.optionsSchema.parse(pump.options)
  const loaded = options.drug
  if (drugId !== loaded)
    return {
      accepted: false,
      reason: `pump ${pump.id} has ${DRUGS[loaded].name} loaded, not ${drug.name}: a drug change needs a new container at the bedside`,
      code: 'DRUG_MISMATCH',
    }
  // The weight the pump itself checks a command against (its options; the default ward sets it from the patient).
  const check = checkRate(drug, order.rateMlH, options.patientWeightKg, false)
  if (!check.allowed) return { accepted: false, reason: check.reason, code: 'LIMIT' }
  return {
    accepted: true,
    programme: {
      pump,
      command: {
        id: `hl7-${order.controlId}`.slice(0, 64),
        action: 'change-rate',
        rate: order.rateMlH,
        // RXG-5/7 give amount: the volume to be infused the pump is programmed with.
        ...(order.vtbiMl !== undefined ? { vtbi: order.vtbiMl } : {}),
        issuedBy: 'hl7-order',
      },
    },
  }
}
