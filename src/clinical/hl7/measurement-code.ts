/**
 * The one place the HL7 code takes the contract's measurement coding from. Issue 17 moves the
 * interface to src/contract; only this line changes then.
 */
export type { MeasurementCode } from '../../simulation/device-kind.ts'
