import { z } from 'zod'
import type { LabHl7Options } from '../lab/lab-hl7.ts'
import { WardlabError } from '../util/errors.ts'
import type { LabHl7Stats } from '../lab/lab-hl7.ts'

/**
 * `--hl7`, `--hl7-ca` and `--hl7-listen`, declared as data like every flag. Several receivers go
 * in one `--hl7` as a comma-separated list, which any option parser takes as one string.
 */
export const hl7Options = {
  hl7: {
    type: 'string',
    placeholder: 'mllp://host:port[,…]',
    description:
      'send IHE PCD-01 observations and PCD-04 alarms as HL7 v2 to these receivers (mllp:// or mllps:// for MLLP over TLS; comma-separated for several)',
  },
  'hl7-ca': { type: 'string', placeholder: 'file', description: "PEM CA that signed the mllps:// receivers' certificates (default: the system's CAs)" },
  'hl7-listen': { type: 'port', description: 'accept IHE PCD-03 RGV^O15 infusion orders over MLLP on this port (0 picks a free one)' },
} as const

const urlList = z.array(z.url({ protocol: /^mllps?$/ }).refine((u) => new URL(u).port !== '', 'needs a port: mllp://host:port')).min(1)

/** The lab's HL7 options from the flags, or undefined when none is given. */
export function hl7LabOptions(
  command: string,
  flags: { hl7?: string | undefined; 'hl7-ca'?: string | undefined; 'hl7-listen'?: number | undefined },
  host: string,
): LabHl7Options | undefined {
  if (!flags.hl7 && flags['hl7-listen'] === undefined) {
    if (flags['hl7-ca']) throw new WardlabError('WL_USAGE', `wardlab ${command}: --hl7-ca goes with --hl7 mllps://…`)
    return undefined
  }
  const parsed = urlList.safeParse(flags.hl7 ? flags.hl7.split(',').map((u) => u.trim()) : [])
  if (flags.hl7 && !parsed.success)
    throw new WardlabError('WL_USAGE', `wardlab ${command}: --hl7 ${parsed.error.issues.map((i) => i.message).join('; ')}, got "${flags.hl7}"`)
  const urls = parsed.success ? parsed.data : []
  return {
    links: urls.map((url) => ({ url, ...(flags['hl7-ca'] && url.startsWith('mllps:') ? { caFile: flags['hl7-ca'] } : {}) })),
    ...(flags['hl7-listen'] !== undefined ? { listen: { host, port: flags['hl7-listen'] } } : {}),
  }
}

/** What `wardlab start` prints on stop: each link's account, which must balance. */
export function hl7StopReport(stats: LabHl7Stats): string[] {
  const lines = stats.links.map(
    (l) =>
      `hl7 ${l.url}: generated ${l.generated} = acknowledged ${l.acknowledged} + dead-lettered ${l.deadLettered} + pending ${l.pending}; retransmitted ${l.retransmissions}, NAKs ${l.naks}; ACK latency p50 ${l.ackLatency.p50.toFixed(2)} ms, p99 ${l.ackLatency.p99.toFixed(2)} ms`,
  )
  if (stats.orders)
    lines.push(
      `hl7 orders on port ${stats.orders.port}: received ${stats.orders.received}, accepted ${stats.orders.accepted}, refused ${stats.orders.refused}, unreadable ${stats.orders.rejected}`,
    )
  return lines
}
