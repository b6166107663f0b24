import { describe, expect, it } from 'vitest'
import { BandConfirmation } from '../src/clinical/band-confirmation.ts'
import type { News2Band } from '../src/clinical/news2.ts'

/** Feeds one band per second from a list and returns the announcements with their second. */
function feed(bands: News2Band[], windowMs = 60_000): { at: number; from: News2Band | null; to: News2Band }[] {
  const confirmation = new BandConfirmation(windowMs)
  const out: { at: number; from: News2Band | null; to: News2Band }[] = []
  bands.forEach((band, second) => {
    const change = confirmation.observe('p', band, second * 1000)
    if (change) out.push({ at: second, ...change })
  })
  return out
}

const repeat = (band: News2Band, seconds: number) => Array<News2Band>(seconds).fill(band)

describe('NEWS2 band confirmation', () => {
  it('announces the first band once a minute has been observed', () => {
    expect(feed(repeat('routine', 90))).toEqual([{ at: 60, from: null, to: 'routine' }])
  })

  it('escalates to the lowest band sustained through the window, even while the score flickers above it', () => {
    const flicker = Array.from({ length: 120 }, (_, i) => (i % 3 === 0 ? 'high' : 'medium') as News2Band)
    expect(feed([...repeat('low', 70), ...flicker])).toEqual([
      { at: 60, from: null, to: 'low' },
      { at: 130, from: 'low', to: 'medium' },
    ])
  })

  it('ignores a brief spike and a brief dip', () => {
    expect(feed([...repeat('low', 70), ...repeat('high', 20), ...repeat('low', 60), ...repeat('routine', 10), ...repeat('low', 30)])).toEqual([
      { at: 60, from: null, to: 'low' },
    ])
  })

  it('de-escalates only when every reading of the window is below the announced band', () => {
    const out = feed([...repeat('high', 70), ...repeat('medium', 30), ...repeat('high', 1), ...repeat('medium', 70)])
    expect(out).toEqual([
      { at: 60, from: null, to: 'high' },
      { at: 161, from: 'high', to: 'medium' },
    ])
  })
})
