import { readFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import { WardlabError } from '../util/errors.ts'

/**
 * Opens the TCP (mllp://) or TLS (mllps://) connection of a link. MLLP over TLS is plain MLLP
 * inside a TLS session (IHE ITI TF-2 ATNA secure node: TLS on the HL7 port); the receiver's
 * certificate is checked against `caFile` when given, the system CAs otherwise.
 */
export interface Endpoint {
  host: string
  port: number
  tls: boolean
  ca: Buffer | undefined
}

export function endpointOf(url: string, caFile: string | undefined): Endpoint {
  const parsed = new URL(url)
  const secure = parsed.protocol === 'mllps:'
  if (caFile && !secure) throw new WardlabError('WL_CONFIG_INVALID', `caFile is for mllps:// links, not ${url}`)
  let ca: Buffer | undefined
  try {
    ca = caFile ? readFileSync(caFile) : undefined
  } catch (error) {
    throw new WardlabError('WL_TLS_CONFIG', `cannot read the HL7 link's CA file ${caFile}`, { cause: error })
  }
  // URL keeps IPv6 literals in brackets; net.connect wants them bare.
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(parsed.port), tls: secure, ca }
}

/** The socket and the event after which it can carry frames: TCP connect, or the end of the TLS handshake. */
export function openSocket(endpoint: Endpoint): { socket: net.Socket; readyEvent: 'connect' | 'secureConnect' } {
  if (!endpoint.tls) return { socket: net.connect({ host: endpoint.host, port: endpoint.port }), readyEvent: 'connect' }
  const options: tls.ConnectionOptions = { host: endpoint.host, port: endpoint.port, servername: net.isIP(endpoint.host) ? undefined : endpoint.host }
  if (endpoint.ca) options.ca = endpoint.ca
  return { socket: tls.connect(options), readyEvent: 'secureConnect' }
}
