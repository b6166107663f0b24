import type { HospitalRegistry } from '../registry/registry.ts'
import type { SecurityConfig } from './config.ts'
import type { Detector, DetectorContext, DetectorDefinition } from './detector.ts'
import { DETECTORS } from './detectors/index.ts'
import type { WindowCounts } from './shared-counts.ts'

/**
 * One detector with its thresholds from `config`. `sharedCounts` is a cluster's: the counts that
 * must be global across broker nodes (failed logins, connection rates) go there; per-device state
 * stays in this process.
 */
export function createDetector(definition: DetectorDefinition, config: SecurityConfig, registry: HospitalRegistry, sharedCounts?: WindowCounts): Detector {
  // config.ts put this detector's thresholds under its key, parsed by its own schema.
  const thresholds = definition.configKey ? (config as unknown as Record<string, unknown>)[definition.configKey] : undefined
  const create = definition.create as (context: DetectorContext<unknown>) => Detector
  return create({ config: thresholds, memory: config.memory, registry, sharedCounts })
}

export function createDetectors(config: SecurityConfig, registry: HospitalRegistry, sharedCounts?: WindowCounts): Detector[] {
  return DETECTORS.map((definition: DetectorDefinition) => createDetector(definition, config, registry, sharedCounts))
}
