/**
 * Colour only for a person at a terminal: not in files, pipes or CI logs, and never when
 * NO_COLOR is set to anything (https://no-color.org).
 */
export function useColour(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR
}

export interface Paint {
  good(text: string): string
  bad(text: string): string
}

const ansi = (code: number) => (text: string) => `\x1b[${code}m${text}\x1b[39m`

export function paint(colour: boolean): Paint {
  return colour ? { good: ansi(32), bad: ansi(31) } : { good: (t) => t, bad: (t) => t }
}
