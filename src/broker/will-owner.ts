import { Readable } from 'node:stream'
import type { Aedes, Client, PublishPacket } from 'aedes'
import type { HospitalRegistry, Identity } from '../registry/registry.ts'
import { identityOf } from './client-info.ts'

/** Who registered a will, kept on the stored will itself. */
export interface WillOwner {
  name: string
  anonymous: boolean
}

interface StoredWill {
  wardlabOwner?: WillOwner
}

/**
 * Makes a will answerable to the identity that registered it, wherever and whenever it is
 * published. Aedes publishes a will at disconnect with its client (so the ACL sees who), but a will
 * left in the persistence by a broker that died — `kill -9`, a crashed cluster node — is published
 * later by the next broker's sweep with no client at all (aedes.js `_clearWills`:
 * `authorizePublish(that.clients[will.clientId] || null, will)`), and a hook that lets client-less
 * publishes through would let a retained will write `alerts/…` or another device's `cmd`.
 *
 * So each will is stored with its owner (every persistence stores the will object whole:
 * aedes-persistence, -level and -redis `putWill`), and a will swept up with no client is judged as
 * its owner (hooks/authorize-publish.ts `authorizeStoredWill`). A will whose owner is missing or no
 * longer registered is refused.
 */
export function recordWillOwners(broker: Aedes, authorize: AuthorizeStoredWill): void {
  const persistence = (broker as unknown as { persistence: WillStore }).persistence
  const putWill = persistence.putWill.bind(persistence)
  persistence.putWill = (client, will) => {
    const identity = identityOf(client)
    if (identity) (will as PublishPacket & StoredWill).wardlabOwner = { name: identity.name, anonymous: identity.role !== 'device' && identity.anonymous }
    return putWill(client, will)
  }
  // The sweep stops at the first will it may not publish (its authorizePublish rejects, and the
  // error reaches the broker's 'error' event), and would meet the same will at every sweep after:
  // a refused will is taken out of the stream and deleted, once, with its signal.
  const streamWill = persistence.streamWill.bind(persistence)
  persistence.streamWill = (brokers) => Readable.from(publishable(streamWill(brokers), authorize, persistence))
}

type AuthorizeStoredWill = (will: PublishPacket, callback: (error?: Error | null) => void) => void

interface WillStore {
  putWill(client: Client, will: PublishPacket): Promise<void>
  streamWill(brokers: unknown): AsyncIterable<PublishPacket & { clientId: string; brokerId: string }>
  delWill(client: { id: string; brokerId: string }): Promise<unknown>
}

async function* publishable(
  wills: AsyncIterable<PublishPacket & { clientId: string; brokerId: string }>,
  authorize: AuthorizeStoredWill,
  persistence: WillStore,
) {
  for await (const will of wills) {
    const refusal = await new Promise<Error | null | undefined>((resolve) => authorize(will, resolve))
    if (!refusal) yield will
    else await persistence.delWill({ id: will.clientId, brokerId: will.brokerId })
  }
}

/** The identity a client-less will is published as, or undefined when it has no owner on record. */
export function willOwnerIdentity(will: PublishPacket, registry: HospitalRegistry): Identity | undefined {
  const owner = (will as PublishPacket & StoredWill).wardlabOwner
  if (!owner) return undefined
  if (owner.anonymous) return registry.isKnownName(owner.name) ? undefined : { role: 'observer', name: owner.name, anonymous: true }
  return registry.identity(owner.name)
}
