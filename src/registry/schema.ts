import { z } from 'zod'
import { TOPIC_ID_PATTERN } from '../contract/topics.ts'

/**
 * The hospital registry: who and what may connect, and where everything sits. It is a YAML file
 * a user can read and edit; this schema is its single source of truth (types and the JSON Schema
 * for editors derive from it).
 */

const id = z.string().regex(TOPIC_ID_PATTERN, 'letters, digits, "_", "." or "-", at most 64, no MQTT separators')

/** `scrypt$N$r$p$saltBase64$hashBase64` — see passwords.ts. Plain text is never stored. */
export const passwordHashSchema = z
  .string()
  .regex(
    /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/,
    'an scrypt hash made by `wardlab user add` or `wardlab device add`, never a plain password',
  )

export const ROLES = ['device', 'observer', 'operator', 'admin'] as const
export type Role = (typeof ROLES)[number]

export const TRAJECTORIES = ['stable', 'sepsis', 'respiratory-failure', 'cardiac-arrest'] as const
export type Trajectory = (typeof TRAJECTORIES)[number]

export const wardSchema = z
  .object({
    id,
    name: z.string().min(1),
    beds: z.array(id).default([]),
    /**
     * Rooms, where the hospital has them: each room id and the beds in it. A bed in a room is
     * charted with it in HL7 PV1-3 (PL: point of care ^ room ^ bed, HL7 v2.6 ch. 2A.53); a bed
     * in none leaves the room component empty.
     */
    rooms: z.record(id, z.array(id).min(1)).optional(),
  })
  .strict()
  .superRefine((ward, ctx) => {
    const roomOf = new Map<string, string>()
    for (const [room, beds] of Object.entries(ward.rooms ?? {}))
      for (const bed of beds) {
        if (!ward.beds.includes(bed))
          ctx.addIssue({ code: 'custom', path: ['rooms', room], message: `room "${room}" names bed "${bed}", which the ward does not have` })
        else if (roomOf.has(bed)) ctx.addIssue({ code: 'custom', path: ['rooms', room], message: `bed "${bed}" is in room "${roomOf.get(bed)}" already` })
        roomOf.set(bed, room)
      }
  })

export const patientSchema = z
  .object({
    id,
    ward: id,
    bed: id.optional(),
    /** At home for hospital-at-home patients, who have no bed. */
    sex: z.enum(['female', 'male']),
    ageYears: z.number().int().min(16).max(110),
    heightCm: z.number().min(120).max(220),
    weightKg: z.number().min(30).max(250),
    trajectory: z.enum(TRAJECTORIES).default('stable'),
    /** Minutes after the start when the trajectory's deterioration begins. */
    onsetMinutes: z.number().nonnegative().default(0),
    /** NEWS2 SpO2 scale 2: confirmed hypercapnic respiratory failure, target 88–92 %. */
    hypercapnic: z.boolean().default(false),
    onOxygen: z.boolean().default(false),
  })
  .strict()

export const deviceSchema = z
  .object({
    id,
    kind: id,
    ward: id,
    bed: id.optional(),
    patient: id.optional(),
    passwordHash: passwordHashSchema,
    /** Run by wardlab's simulator; otherwise a real device connects with its own credentials. */
    simulated: z.boolean().default(false),
    /** Kind-specific settings, validated by the device kind's own options schema. */
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()

export const userSchema = z
  .object({
    username: id,
    role: z.enum(['observer', 'operator', 'admin']),
    passwordHash: passwordHashSchema,
  })
  .strict()

export const registrySchema = z
  .object({
    version: z.literal(1),
    site: z.string().min(1),
    wards: z.array(wardSchema).min(1),
    patients: z.array(patientSchema).default([]),
    devices: z.array(deviceSchema).default([]),
    users: z.array(userSchema).default([]),
  })
  .strict()
  .superRefine((registry, ctx) => {
    const wards = new Map(registry.wards.map((w) => [w.id, w]))
    const patientIds = new Set(registry.patients.map((p) => p.id))
    const identities = new Set<string>()
    const claim = (name: string, path: (string | number)[]) => {
      if (identities.has(name)) ctx.addIssue({ code: 'custom', path, message: `"${name}" is already taken by another device or user` })
      identities.add(name)
    }
    registry.patients.forEach((p, i) => {
      const ward = wards.get(p.ward)
      if (!ward) ctx.addIssue({ code: 'custom', path: ['patients', i, 'ward'], message: `unknown ward "${p.ward}"` })
      else if (p.bed && !ward.beds.includes(p.bed))
        ctx.addIssue({ code: 'custom', path: ['patients', i, 'bed'], message: `ward "${p.ward}" has no bed "${p.bed}"` })
    })
    registry.devices.forEach((d, i) => {
      claim(d.id, ['devices', i, 'id'])
      const ward = wards.get(d.ward)
      if (!ward) ctx.addIssue({ code: 'custom', path: ['devices', i, 'ward'], message: `unknown ward "${d.ward}"` })
      else if (d.bed && !ward.beds.includes(d.bed))
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'bed'], message: `ward "${d.ward}" has no bed "${d.bed}"` })
      if (d.patient && !patientIds.has(d.patient)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'patient'], message: `unknown patient "${d.patient}"` })
    })
    registry.users.forEach((u, i) => claim(u.username, ['users', i, 'username']))
  })

export type Registry = z.infer<typeof registrySchema>
export type RegistryInput = z.input<typeof registrySchema>
export type Ward = z.infer<typeof wardSchema>
export type Patient = z.infer<typeof patientSchema>
export type DeviceEntry = z.infer<typeof deviceSchema>
export type UserEntry = z.infer<typeof userSchema>
