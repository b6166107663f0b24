import { readFileSync } from 'node:fs'

/** CPU time and memory of one process at one moment. */
export interface ProcSample {
  /** User + system CPU since the process started, ms. */
  cpuMs: number
  rssMB: number
  /** Peak resident set size so far (VmHWM), MB. */
  peakRssMB: number
}

/**
 * Linux reports CPU times in /proc/<pid>/stat in clock ticks of USER_HZ, which the kernel's ABI
 * fixes at 100 per second on every architecture Node runs on (sysconf(_SC_CLK_TCK)).
 */
const TICKS_PER_SECOND = 100

/**
 * Reads a process's CPU and memory from /proc, for any process: the bench's own children, a
 * Mosquitto it started, itself. Reading from outside costs the measured process nothing — no
 * IPC message to answer while it is saturated. Null when the process is gone or not on Linux.
 */
export function sampleProcess(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may itself hold spaces (proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return { cpuMs: ((utime + stime) * 1000) / TICKS_PER_SECOND, rssMB: kB(status, 'VmRSS') / 1024, peakRssMB: kB(status, 'VmHWM') / 1024 }
  } catch {
    return null
  }
}

function kB(status: string, field: string): number {
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))
  return match ? Number(match[1]) : 0
}

/** CPU used between two samples, as a share of one core (1 = one core busy). */
export function coresBusy(from: ProcSample, to: ProcSample, wallMs: number): number {
  return wallMs > 0 ? (to.cpuMs - from.cpuMs) / wallMs : 0
}
