// CPU time and context switches of a running process, per thread kind,
// from /proc (Linux): what the `remote` suite's round-trip breakdown and
// idle-CPU figures are made of. Elsewhere every reading is null.
import { readdirSync, readFileSync } from 'node:fs'

/** Clock ticks per second of /proc's utime/stime (USER_HZ, 100 on Linux). */
const HZ = 100

/** Thread kinds a bfly node runs. */
export type Kind = 'js' | 'tokio' | 'other'

export interface ThreadUse {
  /** CPU seconds (user + system). */
  cpu: number
  /** Voluntary context switches: times a thread went to sleep (and was woken). */
  sleeps: number
  /** Involuntary context switches: times it was preempted. */
  preempted: number
}

export type Usage = Record<Kind, ThreadUse>

function kindOf(pid: number, tid: number, comm: string): Kind {
  if (tid === pid) return 'js'
  if (comm.startsWith('bfly-cluster')) return 'tokio'
  return 'other'
}

/** The CPU and context switches of process `pid` so far, by thread kind;
 * null where /proc is not readable. */
export function usage(pid: number): Usage | null {
  const out: Usage = {
    js: { cpu: 0, sleeps: 0, preempted: 0 },
    tokio: { cpu: 0, sleeps: 0, preempted: 0 },
    other: { cpu: 0, sleeps: 0, preempted: 0 },
  }
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return null
  }
  for (const t of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8')
      // comm is in parentheses and may hold spaces: fields follow the last ')'.
      const close = stat.lastIndexOf(')')
      const comm = stat.slice(stat.indexOf('(') + 1, close)
      const f = stat.slice(close + 2).split(' ')
      const status = readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8')
      const num = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
      const u = out[kindOf(pid, Number(t), comm)]
      // Fields 14 and 15 (1-based) are utime and stime; f starts at field 3.
      u.cpu += (Number(f[11]) + Number(f[12])) / HZ
      u.sleeps += num('voluntary_ctxt_switches')
      u.preempted += num('nonvoluntary_ctxt_switches')
    } catch {
      // The thread ended between readdir and read.
    }
  }
  return out
}

/** `after - before`, per kind. */
export function delta(before: Usage, after: Usage): Usage {
  const d = (k: Kind): ThreadUse => ({
    cpu: after[k].cpu - before[k].cpu,
    sleeps: after[k].sleeps - before[k].sleeps,
    preempted: after[k].preempted - before[k].preempted,
  })
  return { js: d('js'), tokio: d('tokio'), other: d('other') }
}
