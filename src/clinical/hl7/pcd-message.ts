import type { Pcd01Input, Pcd04Input, Stamp } from './inputs.ts'
import { buildPcd01 } from './pcd01.ts'
import { buildPcd04 } from './pcd04.ts'

/**
 * One message a device gateway sends, before a link stamps it: plain data, so a pipeline worker
 * can hand it to the broker thread (structured clone) where the links are, and each link builds
 * the text with its own MSH-10/MSH-13.
 */
export type PcdMessage = { profile: 'pcd-01'; input: Pcd01Input } | { profile: 'pcd-04'; input: Pcd04Input }

export function buildPcdMessage(message: PcdMessage, stamp: Stamp): string {
  return message.profile === 'pcd-01' ? buildPcd01(message.input, stamp) : buildPcd04(message.input, stamp)
}
