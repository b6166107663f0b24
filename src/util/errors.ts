/**
 * What wardlab's exit code says, for CI (README "Exit codes"): a failed test (1) is never confused
 * with a broken test (2) or a broken machine (3) — k6 keeps failed thresholds apart the same way.
 */
export const EXIT = {
  passed: 0,
  /** Expectations or thresholds failed: the system under test did not do what was asked. */
  failed: 1,
  /** Usage or input: a bad flag or value, a missing or invalid file, a reference to nothing. */
  invalidInput: 2,
  /** Runtime: a port in use, a broker or Redis that fails or cannot be reached, a crash. */
  runtime: 3,
} as const

/** Every code's exit class, in one place: a new code cannot be added without choosing one. */
const EXIT_BY_CODE: Record<WardlabErrorCode, number> = {
  WL_USAGE: EXIT.invalidInput,
  WL_CONFIG_INVALID: EXIT.invalidInput,
  WL_FILE_NOT_FOUND: EXIT.invalidInput,
  WL_TLS_CONFIG: EXIT.invalidInput,
  WL_REGISTRY_CONFLICT: EXIT.invalidInput,
  WL_UNKNOWN_DEVICE_KIND: EXIT.invalidInput,
  WL_PORT_IN_USE: EXIT.runtime,
  WL_LISTEN_FAILED: EXIT.runtime,
  WL_PERSISTENCE: EXIT.runtime,
  WL_CLUSTER_UNREACHABLE: EXIT.runtime,
  WL_PIPELINE_WORKER: EXIT.runtime,
  WL_BENCH_AGENT: EXIT.runtime,
  WL_TARGET_UNREACHABLE: EXIT.runtime,
  /** A message that cannot be mapped to HL7 v2 (a bug or a device without an HL7 form): the run is broken. */
  WL_HL7_MAPPING: EXIT.runtime,
  /** An HL7 peer that does not answer in time (an order's RRG^O16). */
  WL_HL7_TIMEOUT: EXIT.runtime,
}

/**
 * Errors a user can act on carry a stable code (like Fastify's FST_ERR_*), so scripts and tests
 * match on the code and people read the message. The CLI exits with `exitCode`, from EXIT_BY_CODE.
 */
export type WardlabErrorCode =
  | 'WL_USAGE'
  | 'WL_CONFIG_INVALID'
  | 'WL_FILE_NOT_FOUND'
  | 'WL_PORT_IN_USE'
  | 'WL_LISTEN_FAILED'
  | 'WL_TLS_CONFIG'
  | 'WL_PERSISTENCE'
  | 'WL_REGISTRY_CONFLICT'
  | 'WL_UNKNOWN_DEVICE_KIND'
  | 'WL_CLUSTER_UNREACHABLE'
  | 'WL_PIPELINE_WORKER'
  | 'WL_BENCH_AGENT'
  | 'WL_HL7_MAPPING'
  | 'WL_TARGET_UNREACHABLE'
  | 'WL_HL7_TIMEOUT'

export class WardlabError extends Error {
  readonly code: WardlabErrorCode
  readonly exitCode: number

  constructor(code: WardlabErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = 'WardlabError'
    this.code = code
    this.exitCode = EXIT_BY_CODE[code]
  }
}
