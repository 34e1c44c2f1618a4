// plain_js baseline: the simplest honest JS process runtime. A process is an
// async function with a mailbox (an array queue with a head index, so a 1M
// backlog does not make shift() quadratic) and at most one pending receive
// (predicate + promise resolver). A table maps pids to mailboxes, like bfly's.
// call() carries a timeout (setTimeout/clearTimeout), as bfly's call does.
import type { Pred, Proc, Runtime } from '../runtime.js'

interface Waiter {
  pred: Pred | undefined
  resolve: (msg: unknown) => void
}

class Mailbox implements Proc<number> {
  private queue: unknown[] = []
  private head = 0
  private waiter: Waiter | null = null

  constructor(
    readonly self: number,
    private readonly rt: PlainRuntime,
  ) {}

  deliver(msg: unknown): void {
    const w = this.waiter
    if (w !== null && (w.pred === undefined || w.pred(msg))) {
      this.waiter = null
      w.resolve(msg)
    } else this.queue.push(msg)
  }

  receive(pred?: Pred): Promise<unknown> {
    const q = this.queue
    if (pred === undefined) {
      if (this.head < q.length) return Promise.resolve(this.take(this.head))
    } else {
      for (let i = this.head; i < q.length; i++) {
        if (pred(q[i])) return Promise.resolve(this.take(i))
      }
    }
    return new Promise((resolve) => {
      this.waiter = { pred, resolve }
    })
  }

  private take(i: number): unknown {
    const q = this.queue
    const msg = q[i]
    if (i === this.head) {
      q[i] = undefined
      this.head++
      if (this.head === q.length) {
        this.queue = []
        this.head = 0
      } else if (this.head > 1024 && this.head * 2 > q.length) {
        this.queue = q.slice(this.head)
        this.head = 0
      }
    } else q.splice(i, 1)
    return msg
  }

  send(dest: number, msg: unknown): void {
    this.rt.send(dest, msg)
  }

  call(dest: number, request: unknown): Promise<unknown> {
    return this.rt.call(dest, request)
  }
}

type Reply = (value: unknown) => void

export class PlainRuntime implements Runtime<number> {
  readonly name = 'plain_js'
  private readonly table = new Map<number, Mailbox>()
  private nextId = 1

  spawn(fn: (p: Proc<number>) => unknown): number {
    const id = this.nextId++
    const box = new Mailbox(id, this)
    this.table.set(id, box)
    const exit = () => {
      this.table.delete(id)
    }
    try {
      const r = fn(box)
      if (r instanceof Promise) r.then(exit, exit)
      else exit()
    } catch {
      exit()
    }
    return id
  }

  send(dest: number, msg: unknown): void {
    this.table.get(dest)?.deliver(msg)
  }

  call(dest: number, request: unknown, timeout = 5000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('call timeout')), timeout)
      const from: Reply = (value) => {
        clearTimeout(timer)
        resolve(value)
      }
      if (!this.table.has(dest)) {
        clearTimeout(timer)
        reject(new Error('noproc'))
      } else this.send(dest, ['$call', from, request])
    })
  }

  reply(from: unknown, value: unknown): void {
    ;(from as Reply)(value)
  }

  processCount(): number {
    return this.table.size
  }
}
