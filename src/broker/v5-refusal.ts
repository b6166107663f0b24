import type { Client } from 'aedes'
import { writePacket } from './packet-writes.ts'

/** MQTT 5.0 reason codes wardlab sends itself (§2.4); Aedes 2 sends the rest. */
export const ReasonCode = {
  MALFORMED_PACKET: 0x81,
  PROTOCOL_ERROR: 0x82,
  NOT_AUTHORIZED: 0x87,
  BANNED: 0x8a,
  TOPIC_NAME_INVALID: 0x90,
  MESSAGE_RATE_TOO_HIGH: 0x96,
  QUOTA_EXCEEDED: 0x97,
  /** The registry entry the client logged in as was removed or changed under it. */
  ADMINISTRATIVE_ACTION: 0x98,
} as const

type Callback = (error?: Error | null) => void

/**
 * Ends the connection of a client whose PUBLISH was refused, in words its protocol has. For 3.1.1
 * the hook's error is enough: Aedes closes the connection. Aedes 2 answers the same error from an
 * MQTT 5 client with PUBACK 0x87 and keeps the connection (lib/handlers/publish.js
 * `authorizePublish`), which is right for an ACL refusal in the lab but not for a malformed topic
 * or a rate breach; here the v5 client gets a DISCONNECT with `reasonCode` (§3.14.2.1) first, and
 * the error reaches Aedes only once the connection is closed, so no PUBACK follows the DISCONNECT.
 */
export function disconnectForPublish(client: Client, reasonCode: number, error: Error, callback: Callback): void {
  if (client.version !== 5) return callback(error)
  if (client.connected) return client.disconnect({ reasonCode }, () => callback(error))
  // Aedes 2 reads a client's packets while it replays a resumed session's queue, and calls the client
  // connected only after (lib/handlers/connect.js emptyQueue); Client#disconnect then closes without
  // a word (lib/client.js). Found by test/interop-mqtt5-access.test.ts: half the strict refusals lost their reason.
  writePacket(client, { cmd: 'disconnect', reasonCode })
  // mqtt-packet corks the socket until the next tick: closing sooner would drop the DISCONNECT.
  setImmediate(() => client.close(() => callback(error)))
}
