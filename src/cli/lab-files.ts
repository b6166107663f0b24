import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { buildDefaultRegistry } from '../registry/default-ward.ts'
import { loadRegistry, saveRegistry } from '../registry/load.ts'
import { loadOrCreateProvisioningKey } from '../registry/provisioning.ts'
import { registrySchema, type Registry } from '../registry/schema.ts'
import { WardlabError } from '../util/errors.ts'

/** Flags shared by every command that reads the lab's files. */
export const labFileOptions = {
  'data-dir': { type: 'string', default: '.wardlab', placeholder: 'dir', description: 'where the registry and provisioning key live' },
  registry: { type: 'string', placeholder: 'file', description: 'hospital registry YAML (default <data-dir>/registry.yaml, generated on first start)' },
} as const

export interface LabFiles {
  registryFile: string
  registry: Registry
  provisioningKey: Buffer
}

/**
 * Finds the registry and provisioning key. On a fresh machine the default ward is generated and
 * saved, so the second start is the same hospital with the same credentials.
 */
export async function openLabFiles(
  options: { 'data-dir': string; registry: string | undefined },
  log: Logger,
  seed: string | number = 'wardlab',
): Promise<LabFiles> {
  const provisioningKey = loadOrCreateProvisioningKey(join(options['data-dir'], 'provisioning.key'))
  if (options.registry) {
    if (!existsSync(options.registry)) throw new WardlabError('WL_FILE_NOT_FOUND', `registry file ${options.registry} (--registry) does not exist`)
    return { registryFile: options.registry, registry: loadRegistry(options.registry), provisioningKey }
  }
  const registryFile = join(options['data-dir'], 'registry.yaml')
  if (existsSync(registryFile)) return { registryFile, registry: loadRegistry(registryFile), provisioningKey }
  const registry = await buildDefaultRegistry({ seed, provisioningKey })
  saveRegistry(registryFile, registry)
  log.info({ registryFile, devices: registry.devices.length }, 'wrote the default ward registry')
  return { registryFile, registry, provisioningKey }
}

/** Adds entries to the registry file if the result is still a valid registry; says why not otherwise. */
export function saveWith(files: LabFiles, change: Partial<Pick<Registry, 'devices' | 'users'>>, what: string): void {
  const next = registrySchema.safeParse({ ...files.registry, ...change })
  if (!next.success) {
    throw new WardlabError('WL_REGISTRY_CONFLICT', `cannot add ${what}: ${next.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  }
  saveRegistry(files.registryFile, next.data)
}
