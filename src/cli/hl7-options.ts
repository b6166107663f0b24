import { z } from 'zod'
import type { LinkConfigInput } from '../hl7/link-config.ts'
import type { LabHl7Options } from '../lab/lab-hl7.ts'
import { WardlabError } from '../util/errors.ts'
import type { LabHl7Stats } from '../lab/lab-hl7.ts'

/**
 * The receiver links' flags, which `start` and `run` both take, declared as data like every flag:
 * `--hl7`, `--hl7-ca` and each link's policy. Several receivers go in one `--hl7` as a
 * comma-separated list, which any option parser takes as one string.
 */
export const hl7LinkOptions = {
  hl7: {
    type: 'string',
    placeholder: 'mllp://host:port[,…]',
    description:
      'send IHE PCD-01 observations and PCD-04 alarms as HL7 v2 to these receivers (mllp:// or mllps:// for MLLP over TLS; comma-separated for several)',
  },
  'hl7-ca': { type: 'string', placeholder: 'file', description: "PEM CA that signed the mllps:// receivers' certificates (default: the system's CAs)" },
  'hl7-on-nak': {
    type: 'enum',
    values: ['retry', 'dead-letter'],
    description:
      'what a link does with a message its receiver answers AE or AR: send it again (--hl7-nak-retries times, then dead-letter) or dead-letter it at once (default retry)',
  },
  'hl7-nak-retries': { type: 'integer', min: 0, description: 'times a NAKed message is sent again before it is dead-lettered (default 3)' },
  'hl7-ack-timeout': {
    type: 'number',
    min: 0.1,
    description: 'seconds to wait for an ACK before the connection is dropped and the message sent again on a new one (default 10)',
  },
  'hl7-queue-max': {
    type: 'integer',
    min: 1,
    description: 'messages a link holds while its receiver is away; past it the oldest is dead-lettered, counted (default 10,000)',
  },
} as const

/** All of `start`'s: the links', and the order listener a long-running lab opens. */
export const hl7Options = {
  ...hl7LinkOptions,
  'hl7-listen': { type: 'port', description: 'accept IHE PCD-03 RGV^O15 infusion orders over MLLP on this port (0 picks a free one)' },
} as const

/** The link policy flags, as they reach hl7LabOptions. */
interface Hl7PolicyFlags {
  'hl7-on-nak'?: string | undefined
  'hl7-nak-retries'?: number | undefined
  'hl7-ack-timeout'?: number | undefined
  'hl7-queue-max'?: number | undefined
}

const urlList = z.array(z.url({ protocol: /^mllps?$/ }).refine((u) => new URL(u).port !== '', 'needs a port: mllp://host:port')).min(1)

/** The lab's HL7 options from the flags, or undefined when none is given. */
export function hl7LabOptions(
  command: string,
  flags: { hl7?: string | undefined; 'hl7-ca'?: string | undefined; 'hl7-listen'?: number | undefined } & Hl7PolicyFlags,
  host: string,
): LabHl7Options | undefined {
  const policy = linkPolicy(flags)
  if (!flags.hl7) {
    if (flags['hl7-ca']) throw new WardlabError('WL_USAGE', `wardlab ${command}: --hl7-ca goes with --hl7 mllps://…`)
    const stray = POLICY_FLAGS.find((flag) => flags[flag] !== undefined)
    if (stray) throw new WardlabError('WL_USAGE', `wardlab ${command}: --${stray} sets the --hl7 links' policy; give --hl7 mllp://host:port too`)
    if (flags['hl7-listen'] === undefined) return undefined
  }
  const parsed = urlList.safeParse(flags.hl7 ? flags.hl7.split(',').map((u) => u.trim()) : [])
  if (flags.hl7 && !parsed.success)
    throw new WardlabError('WL_USAGE', `wardlab ${command}: --hl7 ${parsed.error.issues.map((i) => i.message).join('; ')}, got "${flags.hl7}"`)
  const urls = parsed.success ? parsed.data : []
  return {
    links: urls.map((url) => ({ url, ...(flags['hl7-ca'] && url.startsWith('mllps:') ? { caFile: flags['hl7-ca'] } : {}), ...policy })),
    ...(flags['hl7-listen'] !== undefined ? { listen: { host, port: flags['hl7-listen'] } } : {}),
  }
}

const POLICY_FLAGS = ['hl7-on-nak', 'hl7-nak-retries', 'hl7-ack-timeout', 'hl7-queue-max'] as const satisfies readonly (keyof Hl7PolicyFlags)[]

/** The part of each link's configuration (hl7/link-config.ts) the flags set; what they leave out keeps its default. */
function linkPolicy(flags: Hl7PolicyFlags): Partial<LinkConfigInput> {
  const nak = {
    ...(flags['hl7-on-nak'] !== undefined ? { policy: flags['hl7-on-nak'] as 'retry' | 'dead-letter' } : {}),
    ...(flags['hl7-nak-retries'] !== undefined ? { retries: flags['hl7-nak-retries'] } : {}),
  }
  return {
    ...(Object.keys(nak).length > 0 ? { nak } : {}),
    ...(flags['hl7-ack-timeout'] !== undefined ? { ackTimeoutMs: Math.round(flags['hl7-ack-timeout'] * 1000) } : {}),
    ...(flags['hl7-queue-max'] !== undefined ? { queue: { maxMessages: flags['hl7-queue-max'] } } : {}),
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
