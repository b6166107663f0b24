import type { Duplex } from 'node:stream'
import { connect, MqttClient, type IClientOptions } from 'mqtt'
import { streamPair } from './stream-pair.ts'

/** Opens an MQTT client connection; the device runner does not care how. */
export type Connector = (options: IClientOptions) => MqttClient

/** Over the network, to any broker URL (mqtt://, ws://, mqtts://). */
export function urlConnector(url: string): Connector {
  return (options) => connect(url, options)
}

/**
 * Straight into an embedded broker through an in-memory stream pair: the same MQTT bytes, without
 * a socket or a file descriptor per device, so a fleet is not capped by the process's open-file
 * limit. The stream carries an address label so the broker's logs and detectors can tell
 * simulated devices apart.
 */
export function inProcessConnector(handle: (stream: Duplex) => void): Connector {
  return (options) => new MqttClient(() => openInProcessStream(handle, `sim:${options.clientId ?? 'device'}`), options)
}

/**
 * One in-memory connection into a broker: returns the client's end; the broker's end carries
 * `address` as its `remoteAddress`, which the broker reports as the peer (attackers and capture
 * replays label theirs with the address they stand for).
 */
export function openInProcessStream(handle: (stream: Duplex) => void, address: string): Duplex {
  // Not node's duplexPair: see stream-pair.ts for what it does to Aedes under a burst.
  const [clientSide, brokerSide] = streamPair()
  Object.defineProperty(brokerSide, 'remoteAddress', { value: address })
  handle(brokerSide)
  return clientSide
}

/** Resolves once `client` is connected; rejects with its CONNACK's error (ending it), or if the connection closes first. */
export function whenConnected(client: MqttClient): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client))
    client.once('error', (error) => {
      client.end(true)
      reject(error)
    })
    client.once('close', () => reject(new Error('connection closed before CONNACK')))
  })
}
