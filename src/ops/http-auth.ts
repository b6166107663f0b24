import type { IncomingMessage } from 'node:http'
import type { HospitalRegistry } from '../registry/registry.ts'
import type { SignalBus } from '../security/signals.ts'

/** Whether a request may go on to its route, and what the client is told when not. */
export type HttpVerdict = { allowed: true } | { allowed: false; status: number; headers: Record<string, string>; message: string }
export type HttpGuard = (req: IncomingMessage) => Promise<HttpVerdict>

/** RFC 7617: the challenge a browser answers by asking for a user name and password. */
const CHALLENGE = { 'www-authenticate': 'Basic realm="wardlab", charset="UTF-8"' }
/** Users who may read everything the broker carries (README, "Who may do what"); a device may not. */
const READERS = new Set(['observer', 'operator', 'admin'])

/**
 * HTTP Basic against the registry, checked as an MQTT login is — the same failure budget per
 * address, the same hash queue, the same remembered logins (so a dashboard's requests after the
 * first cost no hash) — for a user of role observer or above. The strict profile puts it in front
 * of every HTTP route but /healthz: /api/layout names every device, which is its MQTT user name,
 * and each patient's age, sex and bed; /metrics counts what each detector saw. Over plain HTTP the
 * password crosses the network readable: keep --http-port on loopback or behind a TLS proxy.
 */
/**
 * HTTP requests are numbered below zero, so a failed HTTP login is a signal of its own connection
 * that never collides with an MQTT connection's id (which count up from 1).
 */
let httpRequests = 0

export function registryBasicAuth(registry: HospitalRegistry, signals: SignalBus): HttpGuard {
  return async (req) => {
    const credentials = basicCredentials(req.headers.authorization)
    if (!credentials) return refused(401, 'this lab runs the strict profile: log in with a registry user (observer, operator or admin)', CHALLENGE)
    const result = await registry.checkCredentials(credentials.username, Buffer.from(credentials.password, 'utf8'), {
      address: req.socket.remoteAddress ?? 'unknown',
      gone: () => req.socket.destroyed,
    })
    if (!result.ok) {
      // A refused HTTP login is a refused login: the same signal as MQTT's, so password guessing
      // over HTTP counts towards brute-force and the address's failure budget alike.
      if (result.reason !== 'busy') {
        const address = req.socket.remoteAddress ?? 'unknown'
        const claimsDevice = registry.device(credentials.username) !== undefined
        signals.emit({
          type: 'auth-failed',
          connectionId: -++httpRequests,
          clientId: '(http basic)',
          address,
          username: credentials.username,
          reason: result.reason,
          claimsDevice,
        })
      }
      if (result.reason === 'too-many-failures') return refused(429, 'too many failed logins from this address; try again later', {})
      if (result.reason === 'busy') return refused(503, 'the password checks are too far behind; try again later', {})
      return refused(401, 'wrong user name or password', CHALLENGE)
    }
    if (!READERS.has(result.identity.role))
      return refused(403, `${result.identity.name} is a ${result.identity.role}; the HTTP API is for users with the observer role or above`, {})
    return { allowed: true }
  }
}

function refused(status: number, message: string, headers: Record<string, string>): HttpVerdict {
  return { allowed: false, status, headers, message }
}

/** The user name and password of an `Authorization: Basic` header (RFC 7617 §2), or null. */
export function basicCredentials(header: string | undefined): { username: string; password: string } | null {
  const match = header?.match(/^Basic +([A-Za-z0-9+/=]+) *$/i)
  if (!match) return null
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon < 0 ? null : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}
