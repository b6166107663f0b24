/**
 * One line a second while the load runs, like emqtt-bench's: what the generators sent in that
 * second (as they report it), what the subscriber got, and the share delivered so far. Latency is
 * left to the summary: it needs the send and receive logs joined, and doing that during the load
 * would take CPU from the broker being measured. Only whole seconds are reported, so the end of
 * the load never reads as a drop to 0.
 */
export function startLiveProgress(options: {
  startAt: number
  seconds: number
  /** Messages sent in second k (0-based), once every generator has reported it. */
  sentIn: (second: number) => number | undefined
  delivered: () => number
  say: (line: string) => void
  now: () => number
}): () => void {
  let next = 0
  let sentTotal = 0
  /** The subscriber's count as each second ended, taken within a poll of the boundary. */
  const deliveredAt: number[] = []
  const report = () => {
    const elapsed = Math.floor((options.now() - options.startAt) / 1000)
    while (deliveredAt.length < Math.min(elapsed, options.seconds)) deliveredAt.push(options.delivered())
    while (next < deliveredAt.length) {
      const sent = options.sentIn(next)
      if (sent === undefined) return
      sentTotal += sent
      const delivered = deliveredAt[next]! - (deliveredAt[next - 1] ?? 0)
      const pct = sentTotal > 0 ? Math.min(100, (deliveredAt[next]! / sentTotal) * 100) : 100
      const width = String(options.seconds).length
      options.say(
        `${String(next + 1).padStart(width)}/${options.seconds} s  sent ${rate(sent)}/s  delivered ${rate(delivered)}/s  delivered so far ${pct.toFixed(2)} %`,
      )
      next++
    }
  }
  const timer = setInterval(report, POLL_MS)
  return () => {
    clearInterval(timer)
    report()
  }
}

/** Often enough that a second's delivered count is taken within a few ms of its end; a counter read costs nothing. */
const POLL_MS = 20

const rate = (v: number) => Math.round(v).toLocaleString('en-US')
