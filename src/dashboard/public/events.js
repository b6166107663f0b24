import { clockTime, el } from './dom.js'

// The ward's recent events, newest first: alarms raised and cleared, NEWS2 band changes.

export function eventsView(list) {
  let seen = -1
  return {
    render(model) {
      if (model.revision.events === seen) return
      seen = model.revision.events
      list.replaceChildren(
        ...model.events.map((e) =>
          el('li', { class: `event event-${e.level}` }, el('time', {}, clockTime(e.ts)), ' ', el('span', { class: 'where' }, String(e.where)), ' ', e.text),
        ),
      )
    },
  }
}
