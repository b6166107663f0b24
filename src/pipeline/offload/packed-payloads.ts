/** Many payloads in one transferable buffer: payload i is bytes[ends[i-1] … ends[i]). */
export interface PackedPayloads {
  bytes: Uint8Array<ArrayBuffer>
  ends: Uint32Array
}

/**
 * Packs payloads into one buffer of its own (not Node's shared pool), so a batch crosses to a
 * worker thread by transfer — one pointer handed over — instead of a copy per message.
 */
export function packPayloads(payloads: readonly (Uint8Array | string)[]): PackedPayloads {
  const lengths = payloads.map((p) => (typeof p === 'string' ? Buffer.byteLength(p) : p.length))
  let total = 0
  for (const length of lengths) total += length
  const bytes = new Uint8Array(new ArrayBuffer(total))
  const view = Buffer.from(bytes.buffer)
  const ends = new Uint32Array(payloads.length)
  let offset = 0
  payloads.forEach((p, i) => {
    // Text is encoded straight into the batch: no Buffer of its own per payload.
    if (typeof p === 'string') view.write(p, offset)
    else bytes.set(p, offset)
    offset += lengths[i]!
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
