import {
  COMMAND_CHANNEL,
  DEVICE_ROOT,
  OUTBOUND_CHANNELS,
  REPLY_ROOT,
  deviceTopic,
  filterCovers,
  isOutputTopic,
  isReplyTopic,
  parseDeviceTopic,
  replyNamespace,
} from '../contract/topics.ts'
import type { Identity } from '../registry/registry.ts'
import type { Profile } from './profile.ts'

/**
 * Who may publish and subscribe where. Pure functions of identity and topic, so the rules read
 * like a table and are tested without a broker:
 *
 * | role     | publish                                   | subscribe                         |
 * |----------|-------------------------------------------|-----------------------------------|
 * | device   | its own namespace, outbound channels only | its own `cmd` topic only          |
 * | observer | nothing                                   | everything except `$SYS`          |
 * | operator | `cmd` of any device                       | everything except `$SYS`          |
 * | admin    | any device topic                          | everything, `$SYS` included       |
 *
 * MQTT 5 request/response: a command's Response Topic must lie under the sender's own
 * `reply/{name}/`; only the device the command was sent to writes there, once (reply-grants.ts);
 * `reply/{name}/…` reaches only `name` and admins, whatever filter another client holds.
 *
 * Pipeline outputs (`alerts/`, `fhir/`, `ops/`, `quarantine/`, `security/`) are written by the
 * broker alone, so a consumer can trust what it reads there. In the lab profile's sandbox, every
 * role but `device` may also publish to topics outside `hospital/` (and outside the outputs and
 * `$`): nothing there reaches the pipeline or a device, and generic MQTT tools and captures work.
 * A device stays inside its own namespace in every profile.
 */

export type Decision = { allowed: true } | { allowed: false; reason: string }

const ALLOW: Decision = { allowed: true }
const deny = (reason: string): Decision => ({ allowed: false, reason })

export function decidePublish(identity: Identity, topic: string, profile: Pick<Profile, 'sandbox'> = { sandbox: false }, responseTopic?: string): Decision {
  if (topic.startsWith('$')) return deny('$-topics are reserved for the broker (MQTT 3.1.1 §4.7.2)')
  if (isOutputTopic(topic)) return deny('pipeline output topics are written by the broker only')
  if (isReplyTopic(topic)) return deny(`${REPLY_ROOT}/ topics are written only by a device answering a command that named them`)
  if (responseTopic !== undefined && !responseTopic.startsWith(replyNamespace(identity.name))) {
    return deny(`a Response Topic must be under ${replyNamespace(identity.name)}, where this client's replies arrive`)
  }
  if (profile.sandbox && identity.role !== 'device' && !isHospitalTopic(topic)) return ALLOW
  const target = parseDeviceTopic(topic)
  switch (identity.role) {
    case 'device': {
      const d = identity.device
      if (!target) return deny(`devices publish only under ${DEVICE_ROOT}/{ward}/{kind}/{deviceId}/{channel}`)
      if (target.deviceId !== d.id || target.ward !== d.ward || target.kind !== d.kind) {
        return deny(`outside its own namespace ${DEVICE_ROOT}/${d.ward}/${d.kind}/${d.id}/`)
      }
      if (!(OUTBOUND_CHANNELS as readonly string[]).includes(target.channel)) return deny(`devices do not publish on "${target.channel}"`)
      return ALLOW
    }
    case 'operator':
      return target?.channel === COMMAND_CHANNEL ? ALLOW : deny('operators publish device commands only')
    case 'admin':
      return target ? ALLOW : deny(`admins publish device topics only (${DEVICE_ROOT}/…)`)
    case 'observer':
      return deny(identity.anonymous ? 'anonymous clients are read-only observers' : 'observers are read-only')
  }
}

function isHospitalTopic(topic: string): boolean {
  return topic === DEVICE_ROOT || topic.startsWith(`${DEVICE_ROOT}/`)
}

export function decideSubscribe(identity: Identity, filter: string): Decision {
  if (identity.role === 'device') {
    const d = identity.device
    const own = deviceTopic({ ward: d.ward, kind: d.kind, deviceId: d.id, channel: COMMAND_CHANNEL })
    return filterCovers(own, filter) ? ALLOW : deny(`devices subscribe only to their own command topic ${own}`)
  }
  if (filter.startsWith('$')) {
    return identity.role === 'admin' ? ALLOW : deny('$SYS and other $-topics are for admins only')
  }
  if (isReplyTopic(filter) && identity.role !== 'admin' && !filter.startsWith(replyNamespace(identity.name))) {
    return deny(`replies are read by the identity they answer: subscribe under ${replyNamespace(identity.name)}`)
  }
  return ALLOW
}

/**
 * Whether a delivery may reach this subscriber: a reply only reaches the identity it answers (and
 * admins), also through a wildcard filter such as `#` that the subscribe rules above cannot refuse.
 */
export function mayReceive(identity: Identity | undefined, topic: string): boolean {
  if (!isReplyTopic(topic) || identity?.role === 'admin') return true
  return identity !== undefined && topic.startsWith(replyNamespace(identity.name))
}
