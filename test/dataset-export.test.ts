import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { readCaptureFile } from '../src/capture/capture-file.ts'
import { decodeTcpSegment } from '../src/capture/packet-decode.ts'
import { pcapngHeader, pcapngPacket } from '../src/capture/pcapng-writer.ts'
import { TcpConversation } from '../src/capture/tcp-synth.ts'
import { openLab } from '../src/lab/open-lab.ts'
import { runScenario } from '../src/scenarios/runner.ts'
import { scenarioSchema } from '../src/scenarios/schema.ts'
import { silentLogger } from '../src/util/log.ts'
import { outputDir } from './support/lab.ts'

const dir = mkdtempSync(join(tmpdir(), 'wardlab-dataset-export-'))
/** A one-ward ICU scenario: its beds (`count`, `devices`) and timeline lines. */
const scenarioOf = (head: { name: string; seed: string; duration: string; devices: string }, ...timeline: string[]) =>
  scenarioSchema.parse(
    parse(
      [
        `name: ${head.name}`,
        `seed: ${head.seed}`,
        `duration: ${head.duration}`,
        'hospital:',
        `  beds: [{ ward: icu, ${head.devices} }]`,
        ...(timeline.length > 0 ? ['timeline:', ...timeline] : []),
      ].join('\n'),
    ),
  )

/**
 * MQTTset's CSV header (Vaccari et al., Sensors 20(22):6578, 2020), written out here rather than
 * imported, so the test holds the source to the published layout.
 */
const MQTTSET_HEADER =
  'tcp.flags,tcp.time_delta,tcp.len,mqtt.conack.flags,mqtt.conack.flags.reserved,mqtt.conack.flags.sp,mqtt.conack.val,' +
  'mqtt.conflag.cleansess,mqtt.conflag.passwd,mqtt.conflag.qos,mqtt.conflag.reserved,mqtt.conflag.retain,mqtt.conflag.uname,' +
  'mqtt.conflag.willflag,mqtt.conflags,mqtt.dupflag,mqtt.hdrflags,mqtt.kalive,mqtt.len,mqtt.msg,mqtt.msgid,mqtt.msgtype,' +
  'mqtt.proto_len,mqtt.protoname,mqtt.qos,mqtt.retain,mqtt.sub.qos,mqtt.suback.qos,mqtt.ver,mqtt.willmsg,mqtt.willmsg_len,' +
  'mqtt.willtopic,mqtt.willtopic_len,target'

function tshark(file: string, fields: string[], extra: string[] = []): string[][] {
  const out = execFileSync(
    'tshark',
    ['-r', file, ...extra, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  )
  return out
    .trimEnd()
    .split('\n')
    .map((line) => line.split('\t'))
}

/** RFC 4180 rows: quoted cells may hold commas and doubled quotes. */
function csvRows(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => {
      const cells: string[] = []
      for (let at = 0; at <= line.length; ) {
        const quoted = line[at] === '"'
        const end = quoted
          ? line.indexOf('",', at + 1) === -1
            ? line.length - 1
            : line.indexOf('",', at + 1)
          : line.indexOf(',', at) === -1
            ? line.length
            : line.indexOf(',', at)
        cells.push(quoted ? line.slice(at + 1, end).replace(/""/g, '"') : line.slice(at, end))
        at = end + (quoted ? 2 : 1)
      }
      return cells
    })
}

describe('the pcapng writer', () => {
  it('writes what the capture reader reads back: times, link type, addresses, flags and bytes', () => {
    const tcp = new TcpConversation({ address: '192.0.2.9', port: 40001 }, { address: '10.0.0.1', port: 1883 })
    const frames = [...tcp.open(), ...tcp.data(true, Buffer.from([0xc0, 0x00])), ...tcp.data(false, Buffer.from([0xd0, 0x00])), ...tcp.close()]
    const file = Buffer.concat([pcapngHeader(), ...frames.map((f, i) => pcapngPacket(1_700_000_000_000 + i * 1.5, f.frame, `label ${i}`))])
    const read = readCaptureFile(file)
    expect(read.format).toBe('pcapng')
    expect(read.truncated).toBe(false)
    expect(read.packets.map((p) => p.tsMs)).toEqual(frames.map((_, i) => 1_700_000_000_000 + i * 1.5))
    const segments = read.packets.map((p) => decodeTcpSegment(p)!)
    expect(segments.map((s) => [s.src.address, s.src.port, s.dst.port, s.syn, s.fin, s.payload.toString('hex')])).toEqual([
      ['192.0.2.9', 40001, 1883, true, false, ''],
      ['10.0.0.1', 1883, 40001, true, false, ''],
      ['192.0.2.9', 40001, 1883, false, false, ''],
      ['192.0.2.9', 40001, 1883, false, false, 'c000'],
      ['10.0.0.1', 1883, 40001, false, false, 'd000'],
      ['192.0.2.9', 40001, 1883, false, true, ''],
      ['10.0.0.1', 1883, 40001, false, true, ''],
      ['192.0.2.9', 40001, 1883, false, false, ''],
    ])
    // Sequence numbers follow the bytes: the PINGREQ's two bytes are acknowledged by the FIN exchange.
    expect(segments[5]!.seq - segments[3]!.seq).toBe(2)
    expect(segments[6]!.ack).toBe(segments[5]!.seq + 1)
  })
})

describe('wardlab run --export-dataset: pcapng and MQTTset CSV', () => {
  it('writes a labelled pcapng tshark dissects and an MQTTset-layout CSV with one row per packet', async () => {
    const scenario = scenarioOf(
      { name: 'dataset-export', seed: 'repeatable', duration: '3m', devices: 'count: 1, devices: [bedside-monitor, infusion-pump]' },
      '  - { at: 1m, event: attack, attack: brute-force, duration: 20s, params: { address: 192.0.2.77 } }',
    )
    const datasetDir = join(dir, 'dataset')
    await runScenario(scenario, { openLab, log: silentLogger, outputDir: outputDir(), speed: 'max', exportDataset: datasetDir })
    const pcapng = join(datasetDir, 'packets.pcapng')

    // tshark reads it, finds a comment on every packet and dissects MQTT on the broker's port 1883.
    const packets = tshark(pcapng, ['frame.comment', 'mqtt.msgtype', 'ip.src', 'ip.dst', 'tcp.dstport', 'tcp.srcport'])
    expect(packets.length).toBeGreaterThan(300)
    for (const [comment] of packets) expect(['legitimate', 'bruteforce']).toContain(comment)
    const types = new Set(packets.map((p) => p[1]).filter((t) => t !== ''))
    for (const type of ['1', '2', '3', '4', '8', '9']) expect(types).toContain(type)
    for (const p of packets) expect([p[4], p[5]]).toContain('1883')
    // Ground truth: the attacker's packets, both ways, and only those, carry its label.
    for (const [comment, , src, dst] of packets) expect(comment).toBe(src === '192.0.2.77' || dst === '192.0.2.77' ? 'bruteforce' : 'legitimate')
    // Each MQTT packet is labelled as packets.csv (the ground-truth labeller) labels it.
    const labelled = csvRows(readFileSync(join(datasetDir, 'packets.csv'), 'utf8')).slice(1)
    const mqttComments = packets.filter((p) => p[1] !== '').map((p) => p[0])
    expect(mqttComments).toEqual(labelled.map((row) => (row.at(-1) === 'brute-force' ? 'bruteforce' : 'legitimate')))

    // The reader reads back every packet the writer wrote.
    const read = readCaptureFile(readFileSync(pcapng))
    expect(read.packets.length).toBe(packets.length)
    expect(read.truncated).toBe(false)

    // The CSV has MQTTset's columns in order and one row per pcapng packet, labelled the same.
    const [header, ...rows] = readFileSync(join(datasetDir, 'mqttset.csv'), 'utf8').trimEnd().split('\n')
    expect(header).toBe(MQTTSET_HEADER)
    expect(rows.length).toBe(packets.length)
    const cells = csvRows(rows.join('\n'))
    expect(cells.every((c) => c.length === 34)).toBe(true)
    expect(cells.map((c) => c[33])).toEqual(packets.map((p) => p[0]))

    // Every feature is the value tshark's dissectors give for the same packet: empty (absent) is 0 in
    // MQTTset's layout, hex is compared as a number (MQTTset's 0x%08x against tshark 4's width).
    const columns = header!.split(',').slice(0, 33)
    const dissected = tshark(pcapng, columns, ['-o', 'tcp.calculate_timestamps:TRUE'])
    const hex = new Set(['tcp.flags', 'mqtt.conack.flags', 'mqtt.conflags', 'mqtt.hdrflags'])
    const normalise = (column: string, value: string) =>
      value === '' ? '0' : hex.has(column) ? String(Number.parseInt(value, 16)) : column === 'tcp.time_delta' ? Number(value).toFixed(6) : value
    for (const [i, row] of cells.entries()) {
      const ours = columns.map((c, j) => normalise(c, row[j]!))
      const theirs = columns.map((c, j) => normalise(c, dissected[i]![j] ?? ''))
      expect(ours, `packet ${i + 1}`).toEqual(theirs)
    }
    expect(cells[0]![0]).toMatch(/^0x[0-9a-f]{8}$/)
  }, 90_000)
})

describe('the dataset export streams to disk', () => {
  it('spools packets to the export folder as the run goes, not in memory until its end, and leaves only the labelled files', async () => {
    const scenario = scenarioOf({
      name: 'dataset-spool',
      seed: 'spool',
      duration: '2m',
      devices: 'count: 4, devices: [bedside-monitor, infusion-pump, ventilator]',
    })
    const datasetDir = join(dir, 'spooled')
    const spool = join(datasetDir, '.packets.spool')
    const sizes: number[] = []
    await runScenario(scenario, {
      openLab,
      log: silentLogger,
      outputDir: outputDir(),
      speed: 'max',
      exportDataset: datasetDir,
      // Sampled every 10 simulated seconds: what is on disk by then, while the run goes on.
      onProgress: () => sizes.push(statSync(spool).size),
    })
    // The spool grew during the run, batch by batch: the packets were on disk long before the end.
    expect(sizes.length).toBeGreaterThanOrEqual(10)
    for (const [i, size] of sizes.entries()) if (i > 0) expect(size).toBeGreaterThanOrEqual(sizes[i - 1]!)
    expect(new Set(sizes.filter((size) => size > 0)).size).toBeGreaterThanOrEqual(3)
    expect(sizes.slice(0, sizes.length / 2).some((size) => size > 0)).toBe(true)
    // At the end the labelled files are written from it, and it is gone.
    expect(readdirSync(datasetDir).sort()).toEqual(['messages.jsonl', 'mqttset.csv', 'packets.csv', 'packets.pcapng', 'registry.yaml'])
    const rows = readFileSync(join(datasetDir, 'packets.csv'), 'utf8').trimEnd().split('\n')
    expect(rows.length).toBeGreaterThan(400)
    expect(rows.slice(1).every((row) => row.endsWith(',benign'))).toBe(true)
    expect(readCaptureFile(readFileSync(join(datasetDir, 'packets.pcapng'))).packets.length).toBeGreaterThan(rows.length - 1)
  }, 60_000)
})
