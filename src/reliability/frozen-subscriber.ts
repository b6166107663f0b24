import type { Socket } from 'node:net'
import { generate } from 'mqtt-packet'
import { ALL_DEVICES_FILTER } from '../contract/topics.ts'

/**
 * The frozen persistent subscriber of RELIABILITY.md: on a connected raw socket, log in with a
 * kept session (CleanSession 0), subscribe to every device topic at QoS 1, and never read again —
 * a dashboard whose tab hung. Writing raw packets because a client library keeps reading.
 */
export function freezeAsSubscriber(socket: Socket, credentials: { username: string; password: string }, clientId = 'frozen-observer'): void {
  socket.pause()
  socket.write(
    generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: false,
      clientId,
      keepalive: 0,
      username: credentials.username,
      password: Buffer.from(credentials.password),
    }),
  )
  socket.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: ALL_DEVICES_FILTER, qos: 1 }] }))
}
