/**
 * Security profiles. `lab` is for a testbed on a developer's machine: anyone on the network may
 * watch as a read-only observer, so mosquitto_sub works with no set-up. `strict` is what a real
 * deployment would run: every client authenticates.
 */
export const PROFILES = ['lab', 'strict'] as const
export type ProfileName = (typeof PROFILES)[number]

export interface Profile {
  name: ProfileName
  allowAnonymousObservers: boolean
}

export function profile(name: ProfileName): Profile {
  return { name, allowAnonymousObservers: name === 'lab' }
}
