/**
 * Two strings as one Map key and back. U+0000 separates them because none of the strings keyed
 * this way can hold it: MQTT forbids it in client ids and topics (MQTT-1.5.3-2, checked in
 * src/broker/hooks/conformance.ts), and route and sink names are `[a-z0-9-]`.
 */
export function joinPair(first: string, second: string): string {
  return `${first}\u0000${second}`
}

export function splitPair(key: string): [string, string] {
  const at = key.indexOf('\u0000')
  return [key.slice(0, at), key.slice(at + 1)]
}
