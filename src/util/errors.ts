/**
 * Errors a user can act on carry a stable code (like Fastify's FST_ERR_*), so scripts and tests
 * match on the code and people read the message. The CLI maps `exitCode` to the process exit.
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
  | 'WL_HL7_TIMEOUT'

export class WardlabError extends Error {
  readonly code: WardlabErrorCode
  readonly exitCode: number

  constructor(code: WardlabErrorCode, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = 'WardlabError'
    this.code = code
    this.exitCode = options.exitCode ?? (code === 'WL_USAGE' ? 2 : 1)
  }
}
