import { readFileSync } from 'node:fs'

/** CPU time and memory of one process at one moment. */
export interface ProcSample {
  /** User + system CPU since the process started, ms: all its threads. */
  cpuMs: number
  /** The same for its main thread alone — the event loop, where a Node broker does its work. */
  mainThreadCpuMs: number
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
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    // The main thread's task id is the process id (proc(5), /proc/<pid>/task).
    return {
      cpuMs: cpuMsOf(`/proc/${pid}/stat`),
      mainThreadCpuMs: cpuMsOf(`/proc/${pid}/task/${pid}/stat`),
      rssMB: kB(status, 'VmRSS') / 1024,
      peakRssMB: kB(status, 'VmHWM') / 1024,
    }
  } catch {
    return null
  }
}

function cpuMsOf(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8')
  // Fields after the command name, which is in parentheses and may itself hold spaces (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
}

function kB(status: string, field: string): number {
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))
  return match ? Number(match[1]) : 0
}

/**
 * Several processes read as one — a cluster's broker nodes — CPU and memory added up. Null when
 * there are none or one is gone: a sum short of a process would look like a drop in its CPU.
 */
export function sumSamples(samples: readonly (ProcSample | null)[]): ProcSample | null {
  if (samples.length === 0 || samples.some((s) => s === null)) return null
  return (samples as ProcSample[]).reduce((sum, s) => ({
    cpuMs: sum.cpuMs + s.cpuMs,
    mainThreadCpuMs: sum.mainThreadCpuMs + s.mainThreadCpuMs,
    rssMB: sum.rssMB + s.rssMB,
    peakRssMB: sum.peakRssMB + s.peakRssMB,
  }))
}

/** CPU used between two samples, as a share of one core (1 = one core busy). */
export function coresBusy(from: ProcSample, to: ProcSample, wallMs: number): number {
  return wallMs > 0 ? (to.cpuMs - from.cpuMs) / wallMs : 0
}
