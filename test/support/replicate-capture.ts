/**
 * Makes a large capture for the replay benchmark (BENCHMARKS.md) out of a small one: the capture's
 * packets again and again, each copy after the previous one in time and on its own client port,
 * rebuilt as raw IPv4 and written as it goes (the output is never in memory).
 *   npx tsx test/support/replicate-capture.ts <in.pcap> <out.pcap> <megabytes>
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs'
import { readCaptureFile } from '../../src/capture/capture-file.ts'
import { decodeTcpSegment } from '../../src/capture/packet-decode.ts'
import { ipPacket, LINK_TYPE, pcapFile } from './pcap-builder.ts'

const [input, output, megabytes] = process.argv.slice(2)
if (!input || !output || !megabytes) throw new Error('usage: replicate-capture.ts <in> <out> <megabytes>')
const packets = readCaptureFile(readFileSync(input)).packets
const segments = packets.map(decodeTcpSegment).filter((s) => s !== null)
const start = segments[0]!.tsMs
const span = segments[segments.length - 1]!.tsMs - start + 1000
const fd = openSync(output, 'w')
let written = writeSync(fd, pcapFile([], LINK_TYPE.raw))
for (let copy = 0; written < Number(megabytes) * 1e6; copy++) {
  const shift = (p: { address: string; port: number }) => (p.port === 1883 ? p : { ...p, port: 10_000 + ((p.port + copy) % 50_000) })
  const records = segments.map((s) => ({
    tsMs: s.tsMs + copy * span,
    data: ipPacket({
      tsMs: s.tsMs,
      from: shift(s.src),
      to: shift(s.dst),
      seq: s.seq,
      ...(s.ackFlag ? { ack: s.ack } : {}),
      syn: s.syn,
      fin: s.fin,
      rst: s.rst,
      payload: s.payload,
    }),
  }))
  written += writeSync(fd, pcapFile(records, LINK_TYPE.raw).subarray(24))
}
closeSync(fd)
console.log(`${output}: ${(written / 1e6).toFixed(1)} MB`)
