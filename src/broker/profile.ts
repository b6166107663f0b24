/**
 * Security profiles.
 *
 * - `lab` is for a testbed on a developer's machine: anyone on the network may watch as a read-only
 *   observer, so mosquitto_sub works with no set-up, and clients that are not devices may publish
 *   outside the hospital's topics (a sandbox for tools, and for replayed captures of generic IoT
 *   traffic such as MQTTset's `Temperature`).
 * - `strict` is what a real deployment would run: every client authenticates and there is no
 *   sandbox.
 * - `open` is `lab` for testing a client's protocol behaviour: a client that presents a user name
 *   the registry does not know is let in as an anonymous client instead of refused (MQTTX and many
 *   SDKs send credentials by default), so any tool connects as it is configured. Registered names
 *   still need their password, and the hospital's topics, the outputs and `$SYS` stay as in `lab`.
 */
export const PROFILES = ['lab', 'strict', 'open'] as const
export type ProfileName = (typeof PROFILES)[number]

/**
 * How an MQTT 5 client learns that a PUBLISH was refused. 3.1.1 has no way to say it: the
 * connection closes. MQTT 5 can answer a QoS 1/2 publish with reason code 0x87 in its PUBACK or
 * PUBREC and keep the connection (§3.4.2.1), or send DISCONNECT 0x87 (§3.14.2.1).
 */
export type PublishRefusal = 'puback' | 'disconnect'

export interface Profile {
  name: ProfileName
  allowAnonymousObservers: boolean
  /** Non-device clients may publish to topics outside `hospital/`, the output roots and `$`. */
  sandbox: boolean
  /** A user name the registry does not know connects as an anonymous client rather than being refused. */
  admitUnknownUsers: boolean
  /** Anonymous clients may keep persistent sessions (`open`); elsewhere their sessions end with their connection. */
  anonymousSessions: boolean
  /**
   * `lab` and `open`: PUBACK 0x87, so a tool under test sees why and goes on. `strict`: DISCONNECT
   * 0x87, as a 3.1.1 client is disconnected — a device writing outside its namespace in a
   * deployment is compromised or misconfigured, and should not keep its connection either way.
   */
  v5PublishRefusal: PublishRefusal
  /**
   * The HTTP port (dashboard, /api, /metrics) asks for a registry user's credentials: `strict`,
   * even on loopback, which every local user and process shares (src/ops/http-auth.ts).
   */
  httpNeedsCredentials: boolean
}

export function profile(name: ProfileName): Profile {
  return {
    name,
    allowAnonymousObservers: name !== 'strict',
    sandbox: name !== 'strict',
    admitUnknownUsers: name === 'open',
    anonymousSessions: name === 'open',
    v5PublishRefusal: name === 'strict' ? 'disconnect' : 'puback',
    httpNeedsCredentials: name === 'strict',
  }
}
