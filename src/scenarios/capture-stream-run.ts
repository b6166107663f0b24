import type { Duplex } from 'node:stream'
import { streamCaptureFile, type CapturedPacket } from '../capture/capture-file.ts'
import { ClientStreamResync } from '../capture/client-stream-resync.ts'
import { FlowTracker, type LiveFlow } from '../capture/flow-tracker.ts'
import { syntheticConnect } from '../capture/mqtt-resync.ts'
import { flowEnd, resyncClientId } from '../capture/resync-flow.ts'
import { createVirtualClock } from '../simulation/clock.ts'
import { openInProcessStream } from '../simulation/connector.ts'
import { captureReport, openCaptureLab, type CaptureReplayOptions, type CaptureReplayReport, type FlowReport } from './capture-lab.ts'
import { FlowAttribution } from './flow-attribution.ts'
import { runSettled, settleLab } from './settle.ts'

/**
 * The lab catches up at least this often in capture time, and after this many bytes written: a
 * detector then sees each packet within 100 ms of capture time of when it was captured, far inside
 * its shortest window (1 s), while a flood is not judged in one lump.
 */
const SETTLE_EVERY_MS = 100
const SETTLE_EVERY_BYTES = 256 * 1024

interface LiveState {
  flow: LiveFlow
  stream: Duplex
  resync: ClientStreamResync
  /** Bytes that wait for the synthetic CONNECT's answer, as the client once waited for its CONNACK. */
  held: Buffer[] | null
  chunksSent: number
  bytesSent: number
  serverClosed: boolean
  closedByClient: boolean
}

/**
 * `wardlab replay --speed max`: the capture is read a megabyte at a time and its packets drive a
 * virtual clock — the lab's time is the capture's timestamp of the packet being replayed, so every
 * rate a detector sees is the capture's — while nothing waits on the wall clock. Memory holds the
 * open connections' unread bytes and a line per flow, not the capture.
 */
export async function replayCaptureStreamed(options: CaptureReplayOptions): Promise<CaptureReplayReport> {
  const stats: { bytesRead: number; format?: string } = { bytesRead: 0 }
  const packets = streamCaptureFile(options.file, stats)
  const first = await packets.next()
  const captureStart = first.done ? Date.now() : first.value.tsMs
  const clock = createVirtualClock(Math.round(captureStart))
  const { lab, handle } = await openCaptureLab(options, clock)
  const attribution = new FlowAttribution(lab)
  const live = new Map<number, LiveState>()
  const reports: FlowReport[] = []
  let unsettledBytes = 0
  let mustSettle = false

  const write = (state: LiveState, bytes: Buffer) => {
    if (bytes.length === 0 || state.serverClosed || state.stream.destroyed) return
    if (state.held) return void state.held.push(bytes)
    // A client's first bytes carry its CONNECT, which the broker admits asynchronously: let it answer
    // before more arrive, as the client waited for its CONNACK (Aedes refuses a long queue behind an unanswered CONNECT).
    if (state.chunksSent === 0) mustSettle = true
    state.stream.write(bytes)
    state.chunksSent++
    state.bytesSent += bytes.length
    unsettledBytes += bytes.length
  }
  /** Forwards what the resync lets through; a synthetic CONNECT goes first, and the rest waits for its answer. */
  const send = (state: LiveState, produce: (resync: ClientStreamResync) => Buffer) => {
    const hadSession = state.resync.verdict.syntheticClientId !== null
    const bytes = produce(state.resync)
    if (!hadSession && state.resync.verdict.syntheticClientId !== null) {
      const connect = syntheticConnect(state.resync.verdict.syntheticClientId)
      write(state, connect)
      state.held = []
      mustSettle = true
      write(state, bytes.subarray(connect.length))
    } else write(state, bytes)
  }
  const finish = (state: LiveState) => {
    live.delete(state.flow.index)
    const session = { ...state.resync.verdict, end: flowEnd(state.resync.verdict, { closedBy: state.closedByClient ? 'client' : 'none' }) }
    reports[state.flow.index] = {
      id: state.flow.id,
      client: state.flow.client.address,
      clientIds: [],
      startSeconds: (state.flow.startTsMs - captureStart) / 1000,
      outcome: state.serverClosed ? 'server-closed' : 'completed',
      chunksSent: state.chunksSent,
      bytesSent: state.bytesSent,
      alerts: [],
      session,
    }
  }

  const tracker = new FlowTracker(
    {
      open(flow) {
        // Straight to the broker, not through the listeners' gate: a capture's many flows from one address are what is being judged.
        const stream = attribution.open(flow.index, () => openInProcessStream(handle, flow.client.address))
        const state: LiveState = {
          flow,
          stream,
          resync: new ClientStreamResync({ midStream: !flow.sawClientSyn, syntheticClientId: resyncClientId(flow.index) }),
          held: null,
          chunksSent: 0,
          bytesSent: 0,
          serverClosed: false,
          closedByClient: false,
        }
        stream.on('error', () => undefined) // a reset by the broker is a result, not an exception
        stream.on('close', () => (state.serverClosed ||= !state.closedByClient))
        live.set(flow.index, state)
      },
      data(flow, bytes, lostBefore) {
        const state = live.get(flow.index)
        if (state) send(state, (resync) => resync.push(bytes, lostBefore))
      },
      close(flow, how) {
        const state = live.get(flow.index)
        if (!state) return
        releaseHeld(state)
        send(state, (resync) => resync.end())
        state.closedByClient = true
        if (how === 'rst') state.stream.destroy()
        else state.stream.end()
        finish(state)
      },
    },
    options.serverPort,
  )
  const releaseHeld = (state: LiveState) => {
    const held = state.held
    state.held = null
    for (const bytes of held ?? []) write(state, bytes)
  }
  const settle = async () => {
    await settleLab(lab)
    for (const state of live.values()) releaseHeld(state)
    unsettledBytes = 0
    mustSettle = false
  }

  const wallStart = performance.now()
  let lastSettle = captureStart
  let lastTs = captureStart
  const windowEnd = options.windowMs === undefined ? Infinity : captureStart + options.windowMs
  const replayOne = async (packet: CapturedPacket) => {
    if (packet.tsMs > lastTs) {
      lastTs = packet.tsMs
      await runSettled(clock, lab, Math.round(lastTs))
    }
    tracker.packet(packet)
    if (mustSettle || unsettledBytes >= SETTLE_EVERY_BYTES || lastTs - lastSettle >= SETTLE_EVERY_MS) {
      await settle()
      lastSettle = lastTs
    }
  }
  if (!first.done) {
    await replayOne(first.value)
    for await (const packet of packets) {
      if (packet.tsMs >= windowEnd) break
      await replayOne(packet)
    }
  }
  tracker.finish()
  await settle()
  // What the capture shows still open at its end stays open until then: SlowITe's point is to hold connections.
  for (const state of live.values()) {
    releaseHeld(state)
    send(state, (resync) => resync.end())
  }
  await settle()
  for (const state of [...live.values()]) {
    state.closedByClient = true
    state.stream.end()
    finish(state)
  }
  await settle()
  const simulatedSeconds = (clock.now() - captureStart) / 1000
  const wallSeconds = (performance.now() - wallStart) / 1000
  await lab.stop()

  const flows = reports.map((report, index) => ({ ...report, clientIds: attribution.clientIds(index), alerts: attribution.alertTypes(index, report.client) }))
  return {
    ...captureReport(options, {
      format: stats.format ?? 'unknown',
      flowCount: tracker.flowCount,
      windowSeconds: options.windowMs === undefined ? null : options.windowMs / 1000,
      simulatedSeconds,
      wallSeconds,
      alerts: [...attribution.alerts.values()],
      flows,
    }),
    bytesRead: stats.bytesRead,
  }
}
