/**
 * Security profiles. `lab` is for a testbed on a developer's machine: anyone on the network may
 * watch as a read-only observer, so mosquitto_sub works with no set-up, and clients that are not
 * devices may publish outside the hospital's topics (a sandbox for tools, and for replayed captures
 * of generic IoT traffic such as MQTTset's `Temperature`). `strict` is what a real deployment
 * would run: every client authenticates and there is no sandbox.
 */
export const PROFILES = ['lab', 'strict'] as const
export type ProfileName = (typeof PROFILES)[number]

export interface Profile {
  name: ProfileName
  allowAnonymousObservers: boolean
  /** Non-device clients may publish to topics outside `hospital/`, the output roots and `$`. */
  sandbox: boolean
}

export function profile(name: ProfileName): Profile {
  return { name, allowAnonymousObservers: name === 'lab', sandbox: name === 'lab' }
}
