// supervisor(): strategies, restart types, intensity, shutdown order, nesting, names.
import test from 'ava'
import {
  type ChildSpec,
  call,
  exit,
  exitLog,
  makeServer,
  type Pid,
  type Process,
  processCount,
  type RestartType,
  StartError,
  type Strategy,
  spawn,
  stopServer,
  supervisor,
  whereis,
  whichChildren,
} from '../index.ts'
import { reasonOf, run, uniqueName } from './helpers.ts'

/** A child that records its starts and terminations in `events`, and
 * answers calls with its id; `call(pid, 'crash')` makes it throw,
 * `call(pid, 'quit')` stops it normally. */
function worker(id: string, events: string[], restart: RestartType = 'permanent', name?: string): ChildSpec {
  return {
    id,
    restart,
    start: (sup: Process) => {
      events.push(`start ${id}`)
      return makeServer(
        {
          handle: (req, s) => {
            if (req === 'crash') throw new Error(`${id} crashed`)
            return req === 'quit' ? { answer: 'bye', state: s, stop: 'normal' } : { answer: id, state: s }
          },
          terminate: (reason) => {
            if (reason === 'shutdown') events.push(`stop ${id}`)
          },
        },
        { link: sup, trapExit: true, name },
      )
    },
  }
}

const pids = async (sup: Pid) => (await whichChildren(sup)).map((c) => c.pid?.toString() ?? null)

async function crash(pid: Pid | null): Promise<void> {
  if (pid === null) throw new Error('no pid')
  await call(pid, 'crash').catch(() => {})
}

for (const [strategy, restarted] of [
  ['one_for_one', [false, true, false]],
  ['one_for_all', [true, true, true]],
  ['rest_for_one', [false, true, true]],
] as [Strategy, boolean[]][]) {
  test(`${strategy}: b crashing restarts ${restarted.map((r, i) => (r ? 'abc'[i] : '')).join('')}`, async (t) => {
    const events: string[] = []
    const sup = supervisor({
      strategy,
      intensity: 5,
      children: ['a', 'b', 'c'].map((id) => worker(id, events)),
    })
    const before = await pids(sup)
    events.length = 0
    await crash((await whichChildren(sup))[1].pid)
    const after = await pids(sup)
    t.deepEqual(
      after.map((p, i) => p !== before[i]),
      restarted,
    )
    const expected: Record<Strategy, string[]> = {
      one_for_one: ['start b'],
      one_for_all: ['stop c', 'stop a', 'start a', 'start b', 'start c'],
      rest_for_one: ['stop c', 'start b', 'start c'],
    }
    t.deepEqual(events, expected[strategy], 'others stopped in reverse start order, then started in order')
    exit(sup, 'shutdown')
  })
}

test('restart types: permanent always, transient on abnormal exit, temporary never (and forgotten)', async (t) => {
  const events: string[] = []
  const sup = supervisor({
    intensity: 10,
    children: [worker('p', events, 'permanent'), worker('tr', events, 'transient'), worker('te', events, 'temporary')],
  })
  const [p0, tr0, te0] = (await whichChildren(sup)).map((c) => c.pid as Pid)
  // Normal exits: only the permanent child comes back.
  for (const pid of [p0, tr0, te0]) await call(pid, 'quit')
  const afterQuit = await whichChildren(sup)
  t.deepEqual(
    afterQuit.map((c) => [c.id, c.pid !== null]),
    [
      ['p', true],
      ['tr', false],
    ],
  )
  t.false(afterQuit[0].pid?.equals(p0))

  // Abnormal exits: a transient child is restarted, a temporary one is not.
  const sup2 = supervisor({
    intensity: 10,
    children: [worker('tr', events, 'transient'), worker('te', events, 'temporary')],
  })
  const [tr1, te1] = (await whichChildren(sup2)).map((c) => c.pid as Pid)
  await crash(tr1)
  await crash(te1)
  const after = await whichChildren(sup2)
  t.deepEqual(
    after.map((c) => c.id),
    ['tr'],
  )
  t.truthy(after[0].pid)
  t.false(after[0].pid?.equals(tr1))
  exit(sup, 'shutdown')
  exit(sup2, 'shutdown')
})

test('one_for_all stops a temporary sibling and does not restart it', async (t) => {
  const events: string[] = []
  const sup = supervisor({
    strategy: 'one_for_all',
    intensity: 5,
    children: [worker('a', events), worker('tmp', events, 'temporary'), worker('c', events)],
  })
  await crash((await whichChildren(sup))[0].pid)
  const after = await whichChildren(sup)
  t.deepEqual(
    after.map((c) => [c.id, c.pid !== null]),
    [
      ['a', true],
      ['c', true],
    ],
  )
  t.deepEqual(events.slice(3), ['stop c', 'stop tmp', 'start a', 'start c'])
  exit(sup, 'shutdown')
})

test('more than intensity restarts within period stop the children, then the supervisor with reason shutdown', async (t) => {
  const events: string[] = []
  const reason = await run(async (p) => {
    const sup = supervisor({ intensity: 2, period: 60_000, children: [worker('a', events), worker('b', events)] })
    const ref = p.monitor(sup)
    for (let i = 0; i < 3; i++) await crash((await whichChildren(sup))[0].pid)
    return reasonOf(p, ref)
  })
  t.is(reason, 'shutdown')
  t.deepEqual(events.slice(-1), ['stop b'], 'the surviving child was stopped')
})

test('restarts spread wider than period never exceed the intensity (fake clock)', async (t) => {
  let clock = 0
  const events: string[] = []
  const sup = supervisor({ intensity: 1, period: 1000, now: () => clock, children: [worker('a', events)] })
  for (let i = 0; i < 5; i++) {
    clock += 1001
    await crash((await whichChildren(sup))[0].pid)
  }
  t.is(events.filter((e) => e === 'start a').length, 6, 'restarted every time')
  clock += 10
  await crash((await whichChildren(sup))[0].pid)
  t.is(
    await call(sup, 'ping', { timeout: 200 }).catch((e: Error) => e.name),
    'NoProcError',
    'the 2nd restart within 1000 ms stopped it',
  )
})

test('shutdown stops children in reverse start order; the supervisor exits with the reason', async (t) => {
  const events: string[] = []
  const reason = await run(async (p) => {
    const sup = supervisor({ children: ['a', 'b', 'c'].map((id) => worker(id, events)) })
    const ref = p.monitor(sup)
    await whichChildren(sup)
    exit(sup, 'shutdown')
    return reasonOf(p, ref)
  })
  t.is(reason, 'shutdown')
  t.deepEqual(events, ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'])
})

test('a child that ignores shutdown is killed after its shutdown time', async (t) => {
  const reason = await run(async (p) => {
    const stubborn: ChildSpec = {
      id: 'stubborn',
      shutdown: 20,
      start: (sup) =>
        sup.spawnLink(async (c) => {
          c.trapExit(true)
          for (;;) await c.receive()
        }),
    }
    const sup = supervisor({ children: [stubborn] })
    const [child] = await whichChildren(sup)
    const ref = p.monitor(child.pid as Pid)
    exit(sup, 'shutdown')
    return reasonOf(p, ref)
  })
  t.is(reason, 'killed')
})

test('nested trees: a worker restarts inside its subtree; a crashed subtree is restarted whole', async (t) => {
  const events: string[] = []
  const top = supervisor({
    intensity: 5,
    children: [
      { id: 'sub', start: (sup) => supervisor({ intensity: 5, link: sup, children: [worker('w', events)] }) },
      worker('side', events),
    ],
  })
  const [sub0, side0] = (await whichChildren(top)).map((c) => c.pid as Pid)
  const [w0] = await whichChildren(sub0)
  await crash(w0.pid)
  const [w1] = await whichChildren(sub0)
  t.false(w1.pid?.equals(w0.pid as Pid), 'the worker was restarted by its own supervisor')
  t.deepEqual(await pids(top), [sub0.toString(), side0.toString()], 'the top level did not notice')

  exit(sub0, 'kill')
  const [sub1, side1] = (await whichChildren(top)).map((c) => c.pid as Pid)
  t.false(sub1.equals(sub0))
  t.true(side1.equals(side0), 'one_for_one: the sibling stayed')
  const [w2] = await whichChildren(sub1)
  t.truthy(w2.pid)
  t.is(await call(w2.pid as Pid, 'hi'), 'w')
  exit(top, 'shutdown')
})

test('a restarted child registered by name is reachable under that name at once', async (t) => {
  const name = uniqueName('named-child')
  const sup = supervisor({ intensity: 5, children: [worker('n', [], 'permanent', name)] })
  await whichChildren(sup)
  const old = whereis(name) as Pid
  await crash(old)
  // The supervisor takes the EXIT (signal lane) before this call, so the
  // child is back under its name by the time the call is answered.
  await whichChildren(sup)
  const now = whereis(name)
  t.truthy(now)
  t.false(now?.equals(old))
  t.is(await call(name, 'hello'), 'n')
  const exits = await exitLog({ pid: old })
  t.is(exits.length, 1, 'the exit monitor recorded the crash')
  t.is(exits[0].child, 'n')
  t.regex(String(exits[0].reason), /n crashed/)
  exit(sup, 'shutdown')
})

test('children are started, in order, before supervisor() returns: a child registered by name answers at once', async (t) => {
  const events: string[] = []
  const name = uniqueName('at-once')
  const sup = supervisor({ children: [worker('a', events), worker('b', events, 'permanent', name)] })
  t.deepEqual(events, ['start a', 'start b'], 'every start ran inside supervisor()')
  t.truthy(whereis(name), 'the name is registered when supervisor() returns')
  t.is(await call(name, 'hi'), 'b', 'a call right after supervisor() reaches the child')
  const kids = await whichChildren(sup)
  t.deepEqual(
    kids.map((k) => k.id),
    ['a', 'b'],
  )
  t.true(kids[1].pid?.equals(whereis(name)))
  exit(sup, 'shutdown')
})

test('a child whose start throws: supervisor() throws a StartError naming it, and nothing is left running', async (t) => {
  const events: string[] = []
  const name = uniqueName('sup-fails')
  const before = processCount()
  const cause = new Error('cannot start')
  const e = t.throws(
    () =>
      supervisor({
        name,
        children: [
          worker('a', events, 'permanent', `${name}-a`),
          {
            id: 'bad',
            start: () => {
              throw cause
            },
          },
          worker('never', events),
        ],
      }),
    { instanceOf: StartError },
  )
  t.is(e?.child, 'bad')
  t.is(e?.cause, cause)
  t.is(e?.message, "supervisor: child 'bad' failed to start: Error: cannot start")
  t.deepEqual(events, ['start a'], 'the children after it were not started')
  t.is(processCount(), before, 'the started child and the supervisor are gone')
  t.is(whereis(name), undefined)
  t.is(whereis(`${name}-a`), undefined)
})

test("makeServer(h, { link: true }) as a child's start: the TypeError comes out of supervisor()", async (t) => {
  const before = processCount()
  const e = t.throws(
    () => supervisor({ children: [{ id: 'srv', start: () => makeServer({}, { link: true as never }) }] }),
    { instanceOf: StartError },
  )
  t.regex(e?.message ?? '', /^supervisor: child 'srv' failed to start: TypeError: makeServer: opts.link must be/)
  t.true(e?.cause instanceof TypeError)
  t.is(processCount(), before)
})

test('a start returning a promise or no Pid is a StartError; a nested failure names both children; the parent lives', async (t) => {
  const before = processCount()
  const promised = t.throws(
    () => supervisor({ children: [{ id: 'p', start: () => Promise.resolve(spawn(() => {})) as never }] }),
    { instanceOf: StartError },
  )
  t.regex(promised?.message ?? '', /child 'p' failed to start: TypeError: start\(\) returned a promise/)
  const noPid = t.throws(() => supervisor({ children: [{ id: 'n', start: () => 42 as never }] }), {
    instanceOf: StartError,
  })
  t.regex(noPid?.message ?? '', /start\(\) returned 42, not a Pid/)
  t.is(processCount(), before + 1, 'only the process the promised start spawned itself')
  const nested = await run(async (p) => {
    const inside = processCount()
    try {
      supervisor({
        link: p,
        children: [
          {
            id: 'sub',
            start: (sup) =>
              supervisor({
                link: sup,
                children: [
                  {
                    id: 'leaf',
                    start: () => {
                      throw new RangeError('leaf refused')
                    },
                  },
                ],
              }),
          },
        ],
      })
    } catch (e) {
      t.is(processCount(), inside, 'both supervisors are gone')
      // The parent was unlinked before the supervisor died: it is still alive to catch this.
      await p.receive(undefined, { timeout: 50 })
      return e
    }
  })
  t.true(nested instanceof StartError)
  t.is(
    (nested as Error).message,
    "supervisor: child 'sub' failed to start: StartError: supervisor: child 'leaf' failed to start: RangeError: leaf refused",
  )
})

test('a supervisor answers an unknown call with a TypeError value', async (t) => {
  const sup = supervisor({ children: [] })
  const r = await call(sup, 'ping')
  t.true(r instanceof TypeError)
  exit(sup, 'shutdown')
})

test('bad specs are refused at once, starting nothing', (t) => {
  const before = processCount()
  const ok = worker('a', [])
  t.throws(() => supervisor({ strategy: 'one_for_some' as Strategy, children: [] }), { message: /strategy/ })
  t.throws(() => supervisor({ children: [ok, ok] }), { message: /used twice/ })
  t.throws(() => supervisor({ children: [{ ...ok, restart: 'sometimes' as RestartType }] }), { message: /restart/ })
  t.throws(() => supervisor({ children: [{ id: 'x' } as ChildSpec] }), { message: /start must be a function/ })
  t.throws(() => supervisor({ intensity: -1, children: [] }), { instanceOf: RangeError })
  t.throws(() => supervisor({ period: 0, children: [] }), { instanceOf: RangeError })
  t.throws(() => supervisor(null as never), { instanceOf: TypeError })
  t.is(processCount(), before)
})

test('stopServer on a permanent child makes the supervisor restart it', async (t) => {
  const events: string[] = []
  const sup = supervisor({ children: [worker('a', events)] })
  const [a] = await whichChildren(sup)
  await stopServer(a.pid as Pid, 'normal')
  const [a2] = await whichChildren(sup)
  t.false(a2.pid?.equals(a.pid as Pid))
  exit(sup, 'shutdown')
})
