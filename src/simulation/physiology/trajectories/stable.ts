import type { CourseFactory } from './trajectory.ts'

/**
 * A stable patient keeps their resting physiology: baseline inside the NEWS2 zero bands, moved
 * only by the daily rhythm and ordinary variability (both already in the resting state).
 */
export const stableCourse: CourseFactory = () => (resting) => resting
