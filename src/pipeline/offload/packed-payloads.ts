/** Many payloads in one transferable buffer: payload i is bytes[ends[i-1] … ends[i]). */
export interface PackedPayloads {
  bytes: Uint8Array<ArrayBuffer>
  ends: Uint32Array
}

/**
 * Packs payloads into one buffer of its own (not Node's shared pool), so a batch crosses to a
 * worker thread by transfer — one pointer handed over — instead of a copy per message.
 */
export function packPayloads(payloads: readonly Uint8Array[]): PackedPayloads {
  let total = 0
  for (const p of payloads) total += p.length
  const bytes = new Uint8Array(new ArrayBuffer(total))
  const ends = new Uint32Array(payloads.length)
  let offset = 0
  payloads.forEach((p, i) => {
    bytes.set(p, offset)
    offset += p.length
    ends[i] = offset
  })
  return { bytes, ends }
}

/** The payloads back, as Buffers over the packed bytes (no copy). */
export function unpackPayloads(packed: PackedPayloads): Buffer[] {
  const out: Buffer[] = []
  let start = 0
  for (const end of packed.ends) {
    out.push(Buffer.from(packed.bytes.buffer, packed.bytes.byteOffset + start, end - start))
    start = end
  }
  return out
}
