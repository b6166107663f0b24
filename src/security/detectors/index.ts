import { authBypass } from './auth-bypass.ts'
import { authFailure } from './auth-failure.ts'
import { bruteForce } from './brute-force.ts'
import { clientTakeover } from './client-takeover.ts'
import { connectFlood } from './connect-flood.ts'
import { distributedFlood } from './distributed-flood.ts'
import { falseData } from './false-data.ts'
import { malformedPacket } from './malformed-packet.ts'
import { malformedPayload } from './malformed-payload.ts'
import { publishFlood } from './publish-flood.ts'
import { replay } from './replay.ts'
import { slowDos } from './slow-dos.ts'
import { topicSpoofing } from './topic-spoofing.ts'
import { unauthorizedCommand } from './unauthorized-command.ts'
import { wildcardSnooping } from './wildcard-snooping.ts'

/**
 * Every detector, one per alert class (retained-poisoning is topic-spoofing's). Adding one is its
 * file and a line here: its thresholds join the security configuration (config.ts) under its key.
 */
export const DETECTORS = [
  authFailure,
  authBypass,
  bruteForce,
  connectFlood,
  publishFlood,
  distributedFlood,
  slowDos,
  malformedPacket,
  malformedPayload,
  topicSpoofing,
  wildcardSnooping,
  clientTakeover,
  replay,
  falseData,
  unauthorizedCommand,
] as const
