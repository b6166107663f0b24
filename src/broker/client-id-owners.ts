/**
 * Which registered identity each client id belongs to. A device's client id is its name; a person's
 * (an operator's console, an admin's dashboard) is whatever the client chose, and before this
 * anyone — an anonymous client in the lab profile, any observer in strict — could connect with an
 * admin's persistent client id, get its session, its queued messages, and knock the admin off
 * (Aedes closes the older session of a client id, §3.1.4-2). The first identity to log in with a
 * client id owns it from then on; nobody else may use it (hooks/authenticate.ts).
 *
 * Owners are kept where sessions are kept — the LevelDB with --persistence, Redis in a cluster — so
 * a restart or another node does not hand a session to whoever asks first.
 */
export interface ClientIdOwners {
  /** The owner of `clientId` after this call: `name` if it was free or already `name`'s. */
  claim(clientId: string, name: string): Promise<string>
  owner(clientId: string): Promise<string | undefined>
}

/** Owners in a map, written through to `persist` (and loaded from `loaded`) when there is a store. */
export function cachedOwners(loaded: Map<string, string> = new Map(), persist?: (clientId: string, name: string) => Promise<unknown>): ClientIdOwners {
  const owners = loaded
  return {
    async claim(clientId, name) {
      const owner = owners.get(clientId)
      if (owner !== undefined) return owner
      owners.set(clientId, name)
      await persist?.(clientId, name)
      return name
    },
    async owner(clientId) {
      return owners.get(clientId)
    },
  }
}
