/**
 * Where routed outputs go. Writes are synchronous hand-offs (the pipeline is on the broker's hot
 * path); `flush` waits until everything handed over is durable or delivered, which is what a clean
 * shutdown awaits so that nothing accepted is lost.
 */
export interface Sink {
  readonly name: string
  write(topic: string | undefined, body: unknown): void
  flush(): Promise<void>
  close(): Promise<void>
  /** Outputs written since start. */
  readonly written: number
}
