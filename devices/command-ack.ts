import type { CommandAck } from '../src/contract/channels.ts'
import type { Emission } from '../src/simulation/device-kind.ts'

/** The `command-ack` event a device answers every command with (src/contract/channels.ts). */
export function commandAck(command: { id: string; action: string }, accepted: boolean, reason?: string): Emission {
  const data: CommandAck = { type: 'command-ack', commandId: command.id, action: command.action, accepted, ...(reason === undefined ? {} : { reason }) }
  return { channel: 'event', data }
}
