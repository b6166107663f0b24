import type { Aedes } from 'aedes'
import { parserOf } from './client-info.ts'

/**
 * Largest packet a client may send: 1 MiB, EMQX's default `max_packet_size`. MQTT 3.1.1 allows
 * 268,435,455 bytes (§2.2.3) and mqtt-packet holds a packet in memory until it is whole, so without a
 * cap each connection may make the broker buffer a quarter of a gigabyte. Device payloads are a few
 * hundred bytes and the pipeline quarantines anything over 64 KiB anyway.
 */
export const MAX_PACKET_BYTES = 1024 * 1024

/**
 * Closes a connection as soon as its next packet announces more than `maxBytes`, before the bytes
 * arrive. The check runs after each chunk the parser is given, on the length mqtt-packet has just
 * read from the fixed header; the error goes out as the parser's own, so Aedes closes the connection
 * and the connection watch counts a parse error (`protocol-error`). A socket hands over at most
 * 64 KiB a read, so an oversize packet is refused long before it is whole.
 */
export function limitPacketSize(broker: Aedes, maxBytes: number, partialPacketMs = PARTIAL_PACKET_DEADLINE_MS): void {
  const handle = broker.handle
  broker.handle = (conn, req) => {
    const client = handle(conn, req)
    const parser = parserOf(client)
    if (!parser) return client
    const parse = parser.parse.bind(parser)
    // A packet begun and not finished holds its bytes until it is: a deadline per packet, so that a
    // client with keep-alive 0 cannot pin a megabyte per connection for ever by never sending the rest.
    let deadline: NodeJS.Timeout | null = null
    const finished = () => {
      if (deadline) clearTimeout(deadline)
      deadline = null
    }
    parser.on('packet', finished)
    conn.once('close', finished)
    parser.parse = (chunk) => {
      const left = parse(chunk)
      if (parser.packet.length > maxBytes) parser.emit('error', new Error(`packet of ${parser.packet.length} bytes is over the ${maxBytes}-byte limit`))
      if (parser.packet.length > 0 && !deadline) {
        deadline = setTimeout(
          () => parser.emit('error', new Error(`a packet of ${parser.packet.length} bytes was not completed within ${partialPacketMs} ms`)),
          partialPacketMs,
        ).unref()
      }
      return left
    }
    return client
  }
}

/**
 * How long a client may take to finish a packet it has begun: 30 s. The largest packet allowed
 * (1 MiB) crosses a 1 Mbit/s home-care uplink in about 8 s; a ward's network does it in
 * milliseconds.
 */
export const PARTIAL_PACKET_DEADLINE_MS = 30_000
