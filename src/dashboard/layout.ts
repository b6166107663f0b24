import type { Registry } from '../registry/schema.ts'

/**
 * What the dashboard needs to draw the hospital before any data arrives: wards, beds, who lies
 * where and which device belongs to whom. A public view of the registry — the page is served
 * without credentials, so password hashes, users and each patient's scripted trajectory (the
 * simulation's secret, not something a ward would know) stay out.
 */
export interface DashboardLayout {
  site: string
  wards: { id: string; name: string; beds: string[] }[]
  patients: { id: string; ward: string; bed?: string; sex: 'female' | 'male'; ageYears: number; news2Scale: 1 | 2 }[]
  devices: { id: string; kind: string; ward: string; bed?: string; patient?: string; simulated: boolean; room?: string }[]
}

export function dashboardLayout(registry: Registry): DashboardLayout {
  return {
    site: registry.site,
    wards: registry.wards.map((w) => ({ id: w.id, name: w.name, beds: [...w.beds] })),
    patients: registry.patients.map((p) => ({
      id: p.id,
      ward: p.ward,
      ...(p.bed ? { bed: p.bed } : {}),
      sex: p.sex,
      ageYears: p.ageYears,
      // NEWS2 SpO2 scale 2 is a charted clinical decision (RCP 2017), shown beside the score.
      news2Scale: p.hypercapnic ? 2 : 1,
    })),
    devices: registry.devices.map((d) => ({
      id: d.id,
      kind: d.kind,
      ward: d.ward,
      ...(d.bed ? { bed: d.bed } : {}),
      ...(d.patient ? { patient: d.patient } : {}),
      simulated: d.simulated,
      ...(typeof d.options.room === 'string' ? { room: d.options.room } : {}),
    })),
  }
}
