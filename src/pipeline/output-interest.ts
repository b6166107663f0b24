/**
 * What the pipeline needs to know of the broker's subscriptions to skip outputs nobody can
 * receive: the filters sessions hold now and, as they change, what was added and removed (each
 * call once per session holding the filter). The broker implements it
 * (src/broker/session-subscriptions.ts); the pipeline does not import the broker.
 */
export interface InterestFeed {
  filters(): string[]
  matches(topic: string): boolean
  onChange(listener: (added: readonly string[], removed: readonly string[]) => void): void
}
