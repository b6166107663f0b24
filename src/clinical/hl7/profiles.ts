import type { Component } from './segments.ts'

/**
 * MSH-21 message profile identifiers and acknowledgement types of the IHE PCD transactions
 * (IHE PCD TF-2, MSH segment of each transaction). The OIDs sit under IHE PCD's arc
 * 1.3.6.1.4.1.19376.1.6; the values below are the ones published device gateways send
 * (Mindray, GE, B. Braun PCD-01/PCD-04 messages checked via the search tool).
 */
export const PCD01_PROFILE: readonly Component[] = ['IHE_PCD_001', 'IHE PCD', '1.3.6.1.4.1.19376.1.6.1.1.1', 'ISO']
export const PCD04_PROFILE: readonly Component[] = ['IHE_PCD_ACM_001', 'IHE PCD', '1.3.6.1.4.1.19376.1.6.1.4.1', 'ISO']
/** PCD-03 (PIV) RGV^O15 as an Infusion Order Programmer sends it. */
export const PCD03_PROFILE: readonly Component[] = ['IHE_PCD_RGV_O15', 'IHE PCD', '1.3.6.1.4.1.19376.1.6.1.3.1', 'ISO']

/**
 * PCD-01 and PCD-04: original-mode style accept acknowledgement always (MSH-15 AL), no separate
 * application acknowledgement (MSH-16 NE). The Device Observation Reporter waits for the ACK
 * before it sends the next message on the link.
 */
export const REPORT_ACK = { acceptAck: 'AL', applicationAck: 'NE' } as const
