import { ClientStreamResync, type StreamVerdict } from './client-stream-resync.ts'
import { syntheticConnect } from './mqtt-resync.ts'
import type { ClientChunk, TcpFlow } from './tcp-flows.ts'

/** How a flow's session ended, as far as the capture shows. */
export type FlowEnd = 'disconnect' | 'closed-by-client' | 'closed-by-server' | 'capture-ended'

export interface FlowSession extends StreamVerdict {
  end: FlowEnd
}

/** The client id a resynchronised flow's synthetic CONNECT uses: says what it is, unique per flow. */
export function resyncClientId(index: number): string {
  return `wardlab-resync-${index}`
}

/**
 * A flow's client chunks as they are to be replayed (see ClientStreamResync): a flow whose SYN
 * the capture missed is resynchronised on its first packet boundary, and every hole is cut at
 * packet boundaries. Chunks keep their capture times; chunks left empty are dropped.
 */
export function resyncFlow(flow: TcpFlow, index: number): { flow: TcpFlow; session: FlowSession } {
  const resync = new ClientStreamResync({ midStream: !flow.sawClientSyn, syntheticClientId: resyncClientId(index) })
  const chunks: ClientChunk[] = []
  for (const chunk of flow.clientChunks) {
    const hadSession = resync.verdict.syntheticClientId !== null
    let bytes = resync.push(chunk.bytes, chunk.lostBefore ?? 0)
    if (!hadSession && resync.verdict.syntheticClientId !== null) {
      // On its own, answered before anything follows: the broker admits a client asynchronously and
      // refuses a pile of packets queued behind a CONNECT it has not answered yet (Aedes: "Client queue limit reached").
      const connect = syntheticConnect(resync.verdict.syntheticClientId)
      chunks.push({ atMs: chunk.atMs, captureMs: chunk.captureMs, bytes: connect, awaitsAnswer: true })
      bytes = bytes.subarray(connect.length)
    }
    if (bytes.length > 0) chunks.push({ atMs: chunk.atMs, captureMs: chunk.captureMs, bytes })
  }
  const rest = resync.end()
  const last = flow.clientChunks[flow.clientChunks.length - 1]
  if (rest.length > 0 && last) chunks.push({ atMs: last.atMs, captureMs: last.captureMs, bytes: rest })
  return { flow: { ...flow, clientChunks: chunks }, session: { ...resync.verdict, end: flowEnd(resync.verdict, flow) } }
}

export function flowEnd(verdict: StreamVerdict, flow: Pick<TcpFlow, 'closedBy'>): FlowEnd {
  if (verdict.disconnected) return 'disconnect'
  if (flow.closedBy === 'client') return 'closed-by-client'
  if (flow.closedBy === 'server') return 'closed-by-server'
  return 'capture-ended'
}
