import type { AuthenticateError, Client } from 'aedes'
import type { Profile } from '../profile.ts'
import type { HospitalRegistry } from '../../registry/registry.ts'
import type { SecuritySignal, SignalBus } from '../../security/signals.ts'
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
export function authenticateHook(deps: { registry: HospitalRegistry; profile: Profile; signals: SignalBus }) {
  const { registry, profile, signals } = deps

  return (client: Client, username: string | undefined, password: Buffer | undefined, done: (err: AuthenticateError | null, ok: boolean | null) => void) => {
    const refuse = (returnCode: number, reason: Failure) => {
      signals.emit({ type: 'auth-failed', connectionId: connectionIdOf(client), clientId: client.id, address: clientAddress(client), username, reason, claimsDevice: registry.device(client.id) !== undefined || (username !== undefined && registry.device(username) !== undefined) })
      const error = new Error(`authentication refused: ${reason}`) as AuthenticateError
      error.returnCode = returnCode as AuthenticateError['returnCode']
      done(error, false)
    }

    // No room to check the password now: not the client's fault, so not an auth failure either.
    const refuseBusy = () => {
      signals.emit({ type: 'connect-refused', connectionId: connectionIdOf(client), clientId: client.id, address: clientAddress(client), reason: 'login-queue-full', detail: 'the password checks are too far behind; retry later' })
      const error = new Error('authentication refused: password checks are too far behind') as AuthenticateError
      error.returnCode = SERVER_UNAVAILABLE as AuthenticateError['returnCode']
      done(error, false)
    }

    const admitAnonymous = () => {
      if (registry.isKnownName(client.id)) return refuse(IDENTIFIER_REJECTED, 'identity-mismatch')
      setIdentity(client, { role: 'observer', name: client.id, anonymous: true })
      done(null, true)
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
        setIdentity(client, identity)
        done(null, true)
      },
      () => refuse(BAD_USERNAME_OR_PASSWORD, 'wrong-password'),
    )
  }
}
