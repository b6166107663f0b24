import type { HospitalRegistry } from '../../registry/registry.ts'
import type { SecurityConfig } from '../config.ts'
import type { Detector } from '../detector.ts'
import type { WindowCounts } from '../shared-counts.ts'
import { authBypassDetector } from './auth-bypass.ts'
import { authFailureDetector } from './auth-failure.ts'
import { bruteForceDetector } from './brute-force.ts'
import { clientTakeoverDetector } from './client-takeover.ts'
import { connectFloodDetector } from './connect-flood.ts'
import { distributedFloodDetector } from './distributed-flood.ts'
import { falseDataDetector } from './false-data.ts'
import { malformedPacketDetector } from './malformed-packet.ts'
import { malformedPayloadDetector } from './malformed-payload.ts'
import { publishFloodDetector } from './publish-flood.ts'
import { replayDetector } from './replay.ts'
import { slowDosDetector } from './slow-dos.ts'
import { topicSpoofingDetector } from './topic-spoofing.ts'
import { unauthorizedCommandDetector } from './unauthorized-command.ts'
import { wildcardSnoopingDetector } from './wildcard-snooping.ts'

/**
 * Every detector, each with its thresholds from `config`: one per alert class (retained-poisoning
 * is topic-spoofing's). `sharedCounts` is a cluster's: the counts that must be global across
 * broker nodes (failed logins, connection rates) go there; per-device state stays in this process.
 */
export function createDetectors(config: SecurityConfig, registry: HospitalRegistry, sharedCounts?: WindowCounts): Detector[] {
  return [
    authFailureDetector,
    authBypassDetector,
    bruteForceDetector(config, sharedCounts),
    connectFloodDetector(config, sharedCounts),
    publishFloodDetector(config),
    distributedFloodDetector(config),
    slowDosDetector(config),
    malformedPacketDetector(config),
    malformedPayloadDetector(config),
    topicSpoofingDetector,
    wildcardSnoopingDetector,
    clientTakeoverDetector,
    replayDetector(config),
    falseDataDetector(config),
    unauthorizedCommandDetector(registry),
  ]
}
