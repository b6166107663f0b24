import { mountDashboard } from '../dashboard/mount.ts'
import type { LabHandle, LabRequest } from '../scenarios/lab-handle.ts'
import { WardlabError } from '../util/errors.ts'
import { Lab } from './lab.ts'
import { RemoteLab } from './remote-lab.ts'

/**
 * The wiring's answer to a tool's `LabRequest`: the embedded lab — with the dashboard mounted
 * when asked — or, given `broker`, a lab against a broker wardlab does not run.
 */
export async function openLab(request: LabRequest): Promise<LabHandle> {
  const { broker, profile, listeners, speed, security, dashboard, onConnection, ...common } = request
  if (broker) {
    if (dashboard) throw new WardlabError('WL_USAGE', 'the dashboard reads the embedded broker; it cannot be used with --broker')
    if (common.hl7) throw new WardlabError('WL_USAGE', 'HL7 links are fed by the embedded pipeline; they cannot be used with --broker')
    return RemoteLab.start({ ...common, ...broker })
  }
  const lab = await Lab.start({
    ...common,
    profile: profile ?? 'lab',
    listeners: listeners ?? [],
    speed: speed ?? 1,
    ...(security ? { security } : {}),
    ...(dashboard ? { http: dashboard } : {}),
    ...(onConnection ? { onConnection } : {}),
  })
  if (dashboard) mountDashboard(lab)
  return lab
}
