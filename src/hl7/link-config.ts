import { z } from 'zod'

/**
 * One HL7 receiver link (`--hl7 mllp://host:port`, `mllps://` for MLLP over TLS). Defaults are
 * those of a gateway that must not lose data: retry a NAK a few times, wait for ACKs patiently,
 * reconnect forever with backoff, hold a bounded backlog while the receiver is away.
 */
export const linkConfigSchema = z
  .object({
    url: z.url({ protocol: /^mllps?$/ }).refine((u) => new URL(u).port !== '', 'the URL needs a port: mllp://host:port'),
    /** PEM file of the CA that signed the receiver's certificate (mllps only); the system's CAs otherwise. */
    caFile: z.string().min(1).optional(),
    /** No ACK within this time: the connection is dropped and the message sent again on a new one. */
    ackTimeoutMs: z.int().positive().default(10_000),
    nak: z
      .object({
        /** AE/AR: send again up to `retries` times, then dead-letter; or dead-letter at once. */
        policy: z.enum(['retry', 'dead-letter']).default('retry'),
        retries: z.int().nonnegative().default(3),
        retryDelayMs: z.int().nonnegative().default(1000),
      })
      .prefault({}),
    reconnect: z
      .object({
        initialDelayMs: z.int().positive().default(250),
        maxDelayMs: z.int().positive().default(30_000),
        connectTimeoutMs: z.int().positive().default(5000),
      })
      .prefault({}),
    queue: z
      .object({
        maxMessages: z.int().positive().default(10_000),
        maxBytes: z
          .int()
          .positive()
          .default(64 * 1024 * 1024),
        /**
         * When full: `drop-oldest` dead-letters the oldest waiting message to make room (the
         * newest data is the most useful to a ward), `drop-newest` dead-letters the new one.
         * Either way the message is counted and its sequence number is spent, so the receiver
         * sees the gap.
         */
        overflow: z.enum(['drop-oldest', 'drop-newest']).default('drop-oldest'),
      })
      .prefault({}),
    /** MSH-13 of the first message on this link. */
    firstSequenceNumber: z.int().positive().default(1),
    /** Dead letters kept for inspection (all are counted). */
    keepDeadLetters: z.int().nonnegative().default(1000),
  })
  .strict()

export type LinkConfig = z.infer<typeof linkConfigSchema>
export type LinkConfigInput = z.input<typeof linkConfigSchema>
