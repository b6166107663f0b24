import { el, num, setText } from './dom.js'

// The throughput strip. /api/stats gives running totals (like Prometheus counters); two polls a
// second apart make the rates. The poll also keeps the page's simulated clock in step.

const POLL_MS = 1000

function item(label, unit) {
  const value = el('span', { class: 'value' }, '–')
  const unitNode = el('span', { class: 'unit' }, unit)
  return { value, unit: unitNode, node: el('div', { class: 'strip-item' }, el('span', { class: 'name' }, label), value, unitNode) }
}

export function throughputView(container, clock, { onError, onStats = () => {} }) {
  const items = {
    messages: item('Messages', '/s'),
    quarantined: item('Quarantined', '/s'),
    latency: item('Pipeline', 'µs/msg'),
    devices: item('Devices', 'connected'),
    clients: item('Clients', 'connected'),
    alerts: item('Security alerts', 'open'),
    speed: item('Sim speed', '× real time'),
  }
  container.append(...Object.values(items).map((i) => i.node))
  let previous = null

  async function poll() {
    let stats
    try {
      const res = await fetch('api/stats', { cache: 'no-store' })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      stats = await res.json()
    } catch (err) {
      onError(err)
      return
    }
    const at = performance.now()
    onStats(stats)
    clock.sync(stats.simNow, stats.speed)
    if (previous) {
      const seconds = (at - previous.at) / 1000
      const rate = (key) => (stats[key] - previous.stats[key]) / seconds
      setText(items.messages.value, num(rate('received')))
      setText(items.quarantined.value, num(rate('quarantined'), 1))
      const timed = stats.pipelineTimed - previous.stats.pipelineTimed
      if (timed > 0) setText(items.latency.value, num(((stats.pipelineSeconds - previous.stats.pipelineSeconds) / timed) * 1e6, 1))
    }
    setText(items.devices.value, `${stats.devicesConnected}/${stats.devicesSimulated}`)
    setText(items.clients.value, String(stats.clientsConnected))
    setText(items.speed.value, stats.speed === null ? 'max' : num(stats.speed, stats.speed < 10 ? 1 : 0))
    previous = { at, stats }
  }

  poll()
  setInterval(poll, POLL_MS)
  return {
    // Security alerts come from the ward model (snapshot plus live alerts), as the security panel's do.
    render(model) {
      const { open, total } = model.securityCounts()
      setText(items.alerts.value, String(open))
      setText(items.alerts.unit, `open · ${total} total`)
    },
  }
}
