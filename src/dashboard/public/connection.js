import mqtt from './vendor/mqtt.esm.js'

// The page reads the broker over MQTT-over-WebSocket as an anonymous observer, the way any other
// client would: read-only, everything but $SYS, in the lab profile.

/**
 * Connects and keeps connecting; `onState(state, detail)` reports connecting | live | reconnecting |
 * offline, `onMessage(topic, payload)` every message, `onSubscribed()` each time the broker has
 * granted the subscriptions (after every reconnect too: a clean session missed what came between).
 * What it subscribes to comes with the layout (`broker.subscriptions`, src/dashboard/subscriptions.ts).
 */
export function connectBroker(broker, { onState, onMessage, onSubscribed }) {
  if (broker.wsPort === null) {
    onState('offline', 'the lab has no MQTT-over-WebSocket listener')
    return null
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  const url = `${scheme}://${location.hostname}:${broker.wsPort}${broker.wsPath}`
  const client = mqtt.connect(url, {
    protocolVersion: 4, // 3.1.1 is all the page needs; every wardlab listener also serves MQTT 5
    clientId: `wardlab-dashboard-${Math.random().toString(16).slice(2, 10)}`,
    clean: true,
    // mqtt.js retries at a fixed period; a jittered one keeps many open pages off each other's heels.
    reconnectPeriod: 1500 + Math.round(Math.random() * 1000),
    connectTimeout: 10_000,
    queueQoSZero: false,
  })
  onState('connecting', url)
  client.on('connect', () => {
    onState('live', url)
    client.subscribe(broker.subscriptions, (err, granted) => {
      const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic)
      if (err || refused.length) onState('error', err ? err.message : `broker refused ${refused.join(', ')} (strict profile? the page needs an observer login)`)
      else onSubscribed()
    })
  })
  client.on('reconnect', () => onState('reconnecting', url))
  client.on('offline', () => onState('offline', url))
  client.on('error', (err) => onState('error', err.message))
  client.on('message', onMessage)
  return client
}
