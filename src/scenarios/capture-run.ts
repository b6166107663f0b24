import { MAX_CONCURRENT_LIMIT, replayFlows } from '../capture/replay-flows.ts'
import { loadCaptureFlows, type TcpFlow } from '../capture/tcp-flows.ts'
import { resyncFlow } from '../capture/resync-flow.ts'
import { createSimClock } from '../simulation/clock.ts'
import { openInProcessStream } from '../simulation/connector.ts'
import { captureReport, openCaptureLab, type CaptureReplayOptions, type CaptureReplayReport, type FlowReport } from './capture-lab.ts'
import { replayCaptureStreamed } from './capture-stream-run.ts'
import { FlowAttribution } from './flow-attribution.ts'

export type { CaptureReplayOptions, CaptureReplayReport, FlowReport } from './capture-lab.ts'

/**
 * Replays the client side of every TCP flow in a capture into an embedded lab (lab profile), each
 * flow as its own in-memory connection labelled with the flow's captured client address — so the
 * per-address detectors see the attacker's address, not loopback — and reports which alerts each
 * flow raised. The lab's clock starts at the capture's first packet and runs at the replay's speed.
 * This paced replay holds the capture in memory; `speed: 'max'` streams it (capture-stream-run.ts).
 */
export async function replayCapture(options: CaptureReplayOptions): Promise<CaptureReplayReport> {
  if (options.speed === 'max') return replayCaptureStreamed(options)
  const speed = options.speed
  const { capture, flows: allFlows } = await loadCaptureFlows(options.file, options.serverPort === undefined ? {} : { serverPort: options.serverPort })
  const prepared = (options.windowMs === undefined ? allFlows : windowed(allFlows, options.windowMs)).map(resyncFlow)
  const flows = prepared.map((p) => p.flow)
  const captureStart = Math.round(capture.packets[0]?.tsMs ?? Date.now())
  const clock = createSimClock({ start: captureStart, speed, paused: true })
  const { lab, handle } = await openCaptureLab(options, clock)
  const attribution = new FlowAttribution(lab)

  const wallStart = performance.now()
  clock.resume()
  const results = await replayFlows(flows, {
    host: 'embedded',
    port: 0,
    speed,
    // What the capture shows still open at its end stays open: SlowITe's point is to hold connections.
    holdUnclosed: true,
    // In-memory connections cost no file descriptor: let every flow of a capture be open at once.
    maxConcurrent: MAX_CONCURRENT_LIMIT,
    connector: (flow) => {
      // Straight to the broker, not through the listeners' gate: a capture's many flows from one address are what is being judged.
      const stream = attribution.open(flows.indexOf(flow), () => openInProcessStream(handle, flow.client.address))
      return { stream, ready: async () => undefined }
    },
  })
  const simulatedSeconds = (clock.now() - captureStart) / 1000
  const wallSeconds = (performance.now() - wallStart) / 1000
  await lab.stop()

  const flowReports = flows.map((flow, index): FlowReport => {
    const result = results[index]!
    return {
      id: flow.id,
      client: flow.client.address,
      clientIds: attribution.clientIds(index),
      startSeconds: flow.startMs / 1000,
      outcome: result.outcome,
      chunksSent: result.chunksSent,
      bytesSent: result.bytesSent,
      alerts: attribution.alertTypes(index, flow.client.address),
      session: prepared[index]!.session,
    }
  })
  return captureReport(options, {
    format: capture.format,
    flowCount: allFlows.length,
    windowSeconds: options.windowMs === undefined ? null : options.windowMs / 1000,
    simulatedSeconds,
    wallSeconds,
    alerts: [...attribution.alerts.values()],
    flows: flowReports,
  })
}

/** The flows that start within the capture's first `windowMs`, without what they sent after it. */
function windowed(flows: readonly TcpFlow[], windowMs: number): TcpFlow[] {
  return flows
    .filter((flow) => flow.startMs < windowMs)
    .map((flow) => {
      if (flow.endMs <= windowMs) return flow
      const clientChunks = flow.clientChunks.filter((chunk) => chunk.captureMs < windowMs)
      // Cut by the window, the flow did not close in what is replayed.
      return {
        ...flow,
        clientChunks,
        endMs: windowMs,
        closedBy: 'none' as const,
        closedWith: 'none' as const,
        clientBytes: clientChunks.reduce((n, c) => n + c.bytes.length, 0),
      }
    })
}
