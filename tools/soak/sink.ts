// The soak's receiving process, spawned on the peer node by { module, fn }.
import { type Pid, type Process, send } from '../../index.ts'

/** Receives 0, 1, 2, ... and every `every` messages tells `to` how many
 * came and how many were out of order (a gap, duplicate or reordering). */
export async function sink(p: Process, to: Pid, every: number): Promise<void> {
  let n = 0
  let bad = 0
  for (;;) {
    const m = await p.receive()
    if (m !== n) bad++
    n++
    if (n % every === 0) send(to, ['ack', n, bad])
  }
}
