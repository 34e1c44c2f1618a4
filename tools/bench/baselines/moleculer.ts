// moleculer baseline (call only): a local broker.call of a service action,
// no transporter, logger off, metrics and tracing off.
import { type Context, ServiceBroker } from 'moleculer'
import { check, now, perSecond, since } from '../harness.js'

export async function call(n: number): Promise<number> {
  const broker = new ServiceBroker({
    nodeID: 'bench',
    logger: false,
    transporter: null,
    metrics: false,
    tracing: false,
  })
  broker.createService({
    name: 'echo',
    actions: {
      inc(ctx: Context<{ n: number }>): number {
        return ctx.params.n + 1
      },
    },
  })
  await broker.start()
  try {
    const t0 = now()
    for (let i = 0; i < n; i++) {
      const r: unknown = await broker.call('echo.inc', { n: i })
      check(r === i + 1, `moleculer call: expected ${i + 1}, got ${String(r)}`)
    }
    return perSecond(n, since(t0))
  } finally {
    await broker.stop()
  }
}
