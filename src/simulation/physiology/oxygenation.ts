/**
 * Oxygenation as one number clinicians already use: the P/F ratio (PaO2 / FiO2, mm[Hg]). Normal
 * lungs sit near 400–500; the Berlin definition of ARDS grades 300 / 200 / 100 as mild / moderate /
 * severe. Arterial PaO2 follows as P/F × FiO2, and saturation from PaO2 through the oxyhaemoglobin
 * dissociation curve, so extra oxygen helps less as the lung gets worse — the reason staff must
 * keep stepping FiO2 up in respiratory failure.
 */

/** Room air. */
export const AIR_FIO2 = 0.21

/**
 * Severinghaus' fit of the oxyhaemoglobin dissociation curve (J Appl Physiol 1979;46:599):
 * SO2 = 100 / (23400 / (PO2³ + 150·PO2) + 1), PO2 in mm[Hg].
 */
export function saturationFromPao2(pao2: number): number {
  if (pao2 <= 0) return 0
  return 100 / (23400 / (pao2 ** 3 + 150 * pao2) + 1)
}

export function saturation(pfRatio: number, fio2: number): number {
  return saturationFromPao2(pfRatio * fio2)
}
