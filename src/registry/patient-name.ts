import { hashString } from '../util/hash.ts'
import type { Patient } from './schema.ts'

/**
 * A synthetic name for a registry patient, for the messages that carry one (HL7 PID-5): the
 * registry keeps no names — wardlab's patients are simulated and must never look like real
 * records — so the name is derived from the id, the same in every run and on every thread.
 */
const FAMILY = [
  'Hughes',
  'Okafor',
  'Lindqvist',
  'Moreau',
  'Tanaka',
  'Novak',
  'Costa',
  'Murphy',
  'Schmidt',
  'Haddad',
  'Kowalski',
  'Fraser',
  'Iyer',
  'Jensen',
  'Rossi',
  'Walsh',
] as const
const GIVEN = {
  female: ['Ann', 'Maria', 'Ingrid', 'Amara', 'Yuki', 'Clare', 'Leila', 'Eva'],
  male: ['John', 'Tomas', 'Ravi', 'Kofi', 'Henrik', 'Luca', 'Omar', 'Piotr'],
} as const

export function syntheticName(patient: Pick<Patient, 'id' | 'sex'>): { family: string; given: string } {
  const h = hashString(patient.id)
  const given = GIVEN[patient.sex]
  return { family: FAMILY[h % FAMILY.length]!, given: given[(h >>> 8) % given.length]! }
}
