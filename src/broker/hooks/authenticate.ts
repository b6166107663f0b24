import type { AuthenticateError, Client } from 'aedes'
import type { Profile } from '../profile.ts'
import type { HospitalRegistry } from '../../registry/registry.ts'
import type { SecuritySignal, SignalBus } from '../../security/signals.ts'
import type { Identity } from '../../registry/registry.ts'
import type { ClientIdOwners } from '../client-id-owners.ts'
import { clientAddress, connectionIdOf, setIdentity } from '../client-info.ts'

/** CONNACK return codes, MQTT 3.1.1 §3.2.2.3; Aedes 2 sends a v5 client their MQTT 5 twins (0x85, 0x88, 0x86, 0x87, §3.2.2.2). */
const IDENTIFIER_REJECTED = 2
const SERVER_UNAVAILABLE = 3
const BAD_USERNAME_OR_PASSWORD = 4
const NOT_AUTHORIZED = 5

type Failure = Extract<SecuritySignal, { type: 'auth-failed' }>['reason']

/**
 * The `authenticate` hook: decides who a client is, or refuses it with the CONNACK code MQTT
 * 3.1.1 defines. Client ids are identities too: a device must connect with its own id as client
 * id, and nobody else may borrow a registered name, because Aedes disconnects the older session
 * when a client id reconnects (§3.1.4-2) — a borrowed id would knock a real device off the ward.
 */
export function authenticateHook(deps: { registry: HospitalRegistry; profile: Profile; signals: SignalBus; owners: ClientIdOwners }) {
  const { registry, profile, signals, owners } = deps

  return (client: Client, username: string | undefined, password: Buffer | undefined, done: (err: AuthenticateError | null, ok: boolean | null) => void) => {
    const refuse = (returnCode: number, reason: Failure) => {
      signals.emit({
        type: 'auth-failed',
        connectionId: connectionIdOf(client),
        clientId: client.id,
        address: clientAddress(client),
        username,
        reason,
        claimsDevice: registry.device(client.id) !== undefined || (username !== undefined && registry.device(username) !== undefined),
      })
      const error = new Error(`authentication refused: ${reason}`) as AuthenticateError
      error.returnCode = returnCode as AuthenticateError['returnCode']
      done(error, false)
    }

    // No room to check the password now: not the client's fault, so not an auth failure either.
    const refuseBusy = () => {
      signals.emit({
        type: 'connect-refused',
        connectionId: connectionIdOf(client),
        clientId: client.id,
        address: clientAddress(client),
        reason: 'login-queue-full',
        detail: 'the password checks are too far behind; retry later',
      })
      const error = new Error('authentication refused: password checks are too far behind') as AuthenticateError
      error.returnCode = SERVER_UNAVAILABLE as AuthenticateError['returnCode']
      done(error, false)
    }

    /** A client id owned by another identity is a takeover attempt (client-id-owners.ts). */
    const refuseTakeover = (owner: string, identity: Identity) => {
      signals.emit({
        type: 'session-takeover',
        connectionId: connectionIdOf(client),
        clientId: client.id,
        address: clientAddress(client),
        identity,
        refused: true,
        previous: { address: 'the client id owner', identityName: owner, connectedForMs: 0 },
      })
      refuse(IDENTIFIER_REJECTED, 'identity-mismatch')
    }
    const admit = (identity: Identity) => {
      setIdentity(client, identity)
      done(null, true)
    }

    const admitAnonymous = () => {
      if (registry.isKnownName(client.id)) return refuse(IDENTIFIER_REJECTED, 'identity-mismatch')
      const identity: Identity = { role: 'observer', name: client.id, anonymous: true }
      if (!persistentSessionAllowed(client, profile)) return refuse(NOT_AUTHORIZED, 'anonymous-session')
      owners.owner(client.id).then(
        (owner) => (owner === undefined ? admit(identity) : refuseTakeover(owner, identity)),
        () => refuse(NOT_AUTHORIZED, 'anonymous-refused'),
      )
    }

    if (username === undefined) {
      if (!profile.allowAnonymousObservers) return refuse(NOT_AUTHORIZED, 'anonymous-refused')
      return admitAnonymous()
    }
    // The open profile: credentials of a name the registry does not know are a tool's defaults.
    if (profile.admitUnknownUsers && !registry.isKnownName(username)) return admitAnonymous()
    // §3.1.2.9 lets a username come without a password; here that is always a refusal.
    if (password === undefined || password.length === 0) return refuse(BAD_USERNAME_OR_PASSWORD, 'missing-password')

    registry.checkCredentials(username, password, { address: clientAddress(client), gone: () => client.closed }).then(
      (result) => {
        if (!result.ok) {
          if (result.reason === 'busy') return refuseBusy()
          // An address that spent its failure budget is refused unchecked: "not authorized", not "bad password".
          return refuse(result.reason === 'too-many-failures' ? NOT_AUTHORIZED : BAD_USERNAME_OR_PASSWORD, result.reason)
        }
        const identity = result.identity
        const idMatches = identity.role === 'device' ? client.id === identity.name : !registry.isKnownName(client.id) || client.id === identity.name
        if (!idMatches) return refuse(IDENTIFIER_REJECTED, 'identity-mismatch')
        return owners.claim(client.id, identity.name).then((owner) => (owner === identity.name ? admit(identity) : refuseTakeover(owner, identity)))
      },
      () => refuse(BAD_USERNAME_OR_PASSWORD, 'wrong-password'),
    )
  }
}

/**
 * Anonymous clients keep no session in `lab` and `strict`: nobody could tell their sessions apart,
 * or keep another anonymous client from resuming one. An MQTT 5 client asking for one is given a
 * session that ends with its connection, and told so in the CONNACK (§3.2.2.3.2 lets the server
 * choose); 3.1.1 has no way to say it (CleanSession 0 must resume, §3.1.2.4), so it is refused.
 * The `open` profile, for testing clients' protocol behaviour, lets them keep sessions.
 */
function persistentSessionAllowed(client: Client, profile: Profile): boolean {
  if (profile.anonymousSessions || client.clean) return true
  if (client.version !== 5) return false
  const session = client as unknown as { clean: boolean; sessionExpiryInterval: number; _sessionExpiryClamped: boolean }
  session.clean = true
  session.sessionExpiryInterval = 0
  session._sessionExpiryClamped = true
  return true
}
