// Live messages tell only what changes; a page opened after an alarm was raised would never hear
// of it. So once the broker has granted the subscriptions, the page fetches /api/snapshot (open
// security alerts, active alarms, each device's last telemetry) and applies it, and only then the
// messages that arrived meanwhile — held back until then, so nothing falls between the snapshot
// and the live stream, and nothing older overwrites what the snapshot says. Again after every
// reconnect: a clean session missed whatever came while it was away.

export function snapshotFirst(model, onError, onSnapshot = () => {}) {
  let held = null
  let generation = 0

  async function load() {
    const mine = ++generation
    held = []
    try {
      const res = await fetch('api/snapshot', { cache: 'no-store' })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      const snapshot = await res.json()
      if (mine !== generation) return
      model.restore(snapshot)
      onSnapshot(snapshot)
    } catch (err) {
      if (mine === generation) onError(err)
    } finally {
      if (mine === generation) {
        const pending = held
        held = null
        for (const [topic, payload] of pending) model.apply(topic, payload)
      }
    }
  }

  return {
    onSubscribed: () => void load(),
    onMessage(topic, payload) {
      if (held) held.push([topic, payload])
      else model.apply(topic, payload)
    },
  }
}
