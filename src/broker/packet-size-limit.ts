import type { Aedes } from 'aedes'

/**
 * Largest packet a client may send: 1 MiB, EMQX's default `max_packet_size`. MQTT 3.1.1 allows
 * 268,435,455 bytes (§2.2.3) and mqtt-packet holds a packet in memory until it is whole, so without a
 * cap each connection may make the broker buffer a quarter of a gigabyte. Device payloads are a few
 * hundred bytes and the pipeline quarantines anything over 64 KiB anyway.
 */
export const MAX_PACKET_BYTES = 1024 * 1024

interface PacketParser extends NodeJS.EventEmitter {
  parse(chunk: Buffer): number
  /** The packet being parsed; its length is known once the fixed header is (-1 between packets). */
  packet: { length: number }
}

/**
 * Closes a connection as soon as its next packet announces more than `maxBytes`, before the bytes
 * arrive. The check runs after each chunk the parser is given, on the length mqtt-packet has just
 * read from the fixed header; the error goes out as the parser's own, so Aedes closes the connection
 * and the connection watch counts a parse error (`protocol-error`). A socket hands over at most
 * 64 KiB a read, so an oversize packet is refused long before it is whole.
 */
export function limitPacketSize(broker: Aedes, maxBytes: number): void {
  const handle = broker.handle
  broker.handle = (conn, req) => {
    const client = handle(conn, req)
    const parser = (client as unknown as { _parser?: PacketParser })._parser
    if (!parser) return client
    const parse = parser.parse.bind(parser)
    parser.parse = (chunk) => {
      const left = parse(chunk)
      if (parser.packet.length > maxBytes) parser.emit('error', new Error(`packet of ${parser.packet.length} bytes is over the ${maxBytes}-byte limit`))
      return left
    }
    return client
  }
}
