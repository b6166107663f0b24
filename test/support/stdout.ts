import { afterEach, beforeEach, vi } from 'vitest'

/**
 * Collects what the in-process CLI (`main([...])`) writes to stdout in each test of the file, and
 * keeps it off the test runner's output; returns a reader of the current test's text.
 */
export function collectStdout(): () => string {
  let printed = ''
  beforeEach(() => {
    printed = ''
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed += String(chunk)
      return true
    })
  })
  afterEach(() => {
    vi.restoreAllMocks()
  })
  return () => printed
}
