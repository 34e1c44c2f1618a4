// The small process API every generic workload is written against. bfly
// satisfies it directly (tools/bench/bfly.ts); tools/bench/baselines/plain.ts implements
// it in plain JS, so both run literally the same workload code. Inside a
// process the workloads use p.send / p.call (bfly's idiom: they fail with
// ProcessExit once the process is dead); outside, the free functions.

export type Pred = (msg: unknown) => boolean

export interface Proc<P> {
  readonly self: P
  receive(pred?: Pred): Promise<unknown>
  send(dest: P, msg: unknown): void
  call(dest: P, request: unknown): Promise<unknown>
}

export interface Runtime<P> {
  readonly name: string
  spawn(fn: (p: Proc<P>) => unknown): P
  send(dest: P, msg: unknown): void
  reply(from: unknown, value: unknown): void
  /** Live processes (bfly: the native process table). */
  processCount(): number
}
