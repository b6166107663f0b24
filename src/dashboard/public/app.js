import { bedsView } from './beds.js'
import { connectBroker } from './connection.js'
import { clockTime, setAttr, setText } from './dom.js'
import { equipmentView } from './equipment.js'
import { eventsView } from './events.js'
import { hl7LinksView } from './hl7-links.js'
import { homeView } from './home.js'
import { WardModel } from './model.js'
import { securityView } from './security.js'
import { snapshotFirst } from './snapshot.js'
import { SimClock } from './sim-clock.js'
import { throughputView } from './throughput.js'

// Entry point: fetch the hospital's layout, draw it, then fill it from the broker. Messages only
// update the model; the views render from it a few times a second, so a burst of telemetry at
// --speed 30 costs one paint, not hundreds.

const RENDER_MS = 250
const STATE_TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline', error: 'Error' }

const $ = (id) => document.getElementById(id)

function showConnection(state, detail) {
  const node = $('connection')
  setAttr(node, 'data-state', state)
  setText(node, STATE_TEXT[state] ?? state)
  setAttr(node, 'title', detail ?? '')
  // Without a live connection nothing on the page can be trusted to be current.
  document.body.classList.toggle('disconnected', state !== 'live')
}

async function main() {
  const res = await fetch('api/layout', { cache: 'no-store' })
  if (!res.ok) throw new Error(`layout: HTTP ${res.status}`)
  const layout = await res.json()
  setText($('site'), layout.site)
  document.title = `${layout.site} · wardlab`

  const clock = new SimClock()
  const model = new WardModel(layout, clock)
  const views = [
    bedsView($('beds'), layout),
    equipmentView($('equipment'), layout),
    homeView($('home'), layout),
    securityView($('security')),
    eventsView($('events')),
  ]
  const hl7 = hl7LinksView($('hl7-panel'), $('hl7-links'))
  const strip = throughputView($('throughput'), clock, {
    onError: (err) => setAttr($('throughput'), 'title', `stats unavailable: ${err.message}`),
    onStats: (stats) => hl7.update(stats.hl7Links),
  })
  views.push(strip)
  const messages = snapshotFirst(
    model,
    (err) => showConnection('error', `snapshot: ${err.message}`),
    (snapshot) => hl7.update(snapshot.hl7Links),
  )
  connectBroker(layout.broker, { onState: showConnection, onMessage: messages.onMessage, onSubscribed: messages.onSubscribed })

  setInterval(() => {
    setText($('clock'), `${clockTime(clock.now())} UTC (simulated)`)
    for (const view of views) view.render(model)
  }, RENDER_MS)
}

main().catch((err) => showConnection('error', err.message))
