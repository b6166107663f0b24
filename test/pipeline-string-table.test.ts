import { describe, expect, it } from 'vitest'
import { StringTable, StringTableMirror } from '../src/pipeline/offload/string-table.ts'

describe('strings sent once between threads', () => {
  it('ships each string once and the mirror resolves every id to it', () => {
    const table = new StringTable()
    const mirror = new StringTableMirror((s) => s.toUpperCase())
    const ids = ['a/b', 'c/d', 'a/b', 'e/f', 'c/d'].map((s) => table.idOf(s))
    expect(ids).toEqual([0, 1, 0, 2, 1])
    const changes = table.takeChanges()
    expect(changes).toEqual({ restart: false, added: ['a/b', 'c/d', 'e/f'] })
    mirror.apply(changes)
    expect(ids.map((id) => mirror.get(id))).toEqual(['A/B', 'C/D', 'A/B', 'E/F', 'C/D'])
    expect(table.idOf('a/b')).toBe(0)
    expect(table.takeChanges()).toEqual({ restart: false, added: [] })
  })

  it('starts over when full, and the mirror follows, so a client inventing topics grows neither side', () => {
    const table = new StringTable(3)
    const mirror = new StringTableMirror((s) => s)
    for (const s of ['t0', 't1', 't2']) table.idOf(s)
    mirror.apply(table.takeChanges())
    const ids = ['t3', 't4', 't0'].map((s) => table.idOf(s))
    expect(ids).toEqual([0, 1, 2])
    const changes = table.takeChanges()
    expect(changes).toEqual({ restart: true, added: ['t3', 't4', 't0'] })
    mirror.apply(changes)
    expect(ids.map((id) => mirror.get(id))).toEqual(['t3', 't4', 't0'])
  })

  it('keeps every id of the batch in hand valid when the table fills in the middle of it', () => {
    const table = new StringTable(2)
    const mirror = new StringTableMirror((s) => s)
    const ids = ['t0', 't1', 't2', 't3'].map((s) => table.idOf(s))
    mirror.apply(table.takeChanges())
    expect(ids.map((id) => mirror.get(id))).toEqual(['t0', 't1', 't2', 't3'])
    const next = table.idOf('t1')
    mirror.apply(table.takeChanges())
    expect(mirror.get(next)).toBe('t1')
  })
})
