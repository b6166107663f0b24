/**
 * ACVPU: AVPU plus new confusion, as NEWS2 scores consciousness. A measurement contract between
 * whoever assesses the patient (a nurse, the simulated physiology) and clinical scoring.
 */
export const CONSCIOUSNESS_LEVELS = ['alert', 'confusion', 'voice', 'pain', 'unresponsive'] as const
export type Consciousness = (typeof CONSCIOUSNESS_LEVELS)[number]
