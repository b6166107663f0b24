import { el, num, setAttr, setText } from './dom.js'

// The HL7 links panel (`wardlab start --hl7 …`): per link, whether the integration engine is
// reachable, what waits for it, how fast it answers, and the account that must balance —
// generated = acknowledged + dead-lettered + pending. The figures come with /api/snapshot when the
// page opens and with every /api/stats poll after; the panel stays hidden for a lab without links.
// A link's row is built once and its texts updated in place, so nothing flickers between polls.

const STATE_TEXT = { idle: 'idle', connecting: 'connecting', connected: 'connected', waiting: 'down, retrying', closed: 'closed' }

function newRow(url) {
  const parts = {
    state: el('span', { class: 'hl7-state' }),
    queue: el('div', { class: 'hl7-queue' }),
    account: el('div', { class: 'hl7-account' }),
    error: el('div', { class: 'hl7-error' }),
  }
  const node = el(
    'li',
    { class: 'hl7-link', 'data-link': url },
    el('div', { class: 'hl7-head' }, el('span', { class: 'hl7-url' }, url), ' ', parts.state),
    parts.queue,
    parts.account,
    parts.error,
  )
  return { node, parts }
}

function fill({ node, parts }, link) {
  const latency = link.acknowledged > 0 ? `${num(link.ackLatencyMs.p50, 1)} ms p50 · ${num(link.ackLatencyMs.p99, 1)} ms p99` : 'no ACK yet'
  setAttr(node, 'class', `hl7-link state-${link.state}`)
  setText(parts.state, STATE_TEXT[link.state] ?? String(link.state))
  setText(parts.queue, `queue ${link.pending} (${num(link.queueBytes / 1024, 1)} KiB) · ACK ${latency}`)
  setText(parts.account, `generated ${link.generated} = acknowledged ${link.acknowledged} + dead-lettered ${link.deadLettered} + pending ${link.pending}`)
  setText(parts.error, link.state !== 'connected' && link.lastError ? link.lastError : '')
}

export function hl7LinksView(panel, list) {
  const rows = new Map()
  return {
    /** From the snapshot and from each stats poll. */
    update(links) {
      if (!Array.isArray(links)) return
      panel.hidden = links.length === 0
      for (const link of links) {
        let row = rows.get(link.url)
        if (!row) {
          row = newRow(link.url)
          rows.set(link.url, row)
          list.append(row.node)
        }
        fill(row, link)
      }
    },
    render() {},
  }
}
