// Inputs taken wrongly (issue 16, items 6 and 7): a bare-number timeout is
// refused, not ignored; asking a process for what only another kind can
// answer says what the target is and what was expected, and rejects.
import test from 'ava'
import {
  call,
  exit,
  makeServer,
  type Pid,
  type Process,
  spawn,
  stopPool,
  stopServer,
  supervisor,
  UpgradeError,
  upgrade,
  whichChildren,
} from '../index.ts'
import { run, uniqueName } from './helpers.ts'

const ECHO = new URL('./fixtures/services.ts', import.meta.url).pathname
const counter = { handle: (n: number, s: number) => ({ answer: s + n, state: s + n }), init: () => 0 }
const idle = async (p: Process) => {
  for (;;) await p.receive()
}

test.after.always(() => stopPool())

test('call(dest, msg, 100): the bare-number timeout is a TypeError that shows the object form', async (t) => {
  const server = makeServer(counter)
  for (const ms of [100, '100', null])
    await t.throwsAsync(call(server, 1, ms as never), {
      instanceOf: TypeError,
      message:
        typeof ms === 'number'
          ? /^call: the timeout goes in an options object: \{ timeout: 100 \}/
          : /^call: options must be an object/,
    })
  t.is(await call(server, 1, { timeout: 100 }), 1, 'the object form works')
  await run(async (p) => {
    await t.throwsAsync(p.call(server, 1, 100 as never), { instanceOf: TypeError, message: /\{ timeout: 100 \}/ })
    await t.throwsAsync(p.receive(undefined, 5 as never), {
      instanceOf: TypeError,
      message: /^receive: .*\{ timeout: 5 \}/,
    })
  })
  await t.throwsAsync(whichChildren(supervisor({ children: [] }), 100 as never), { message: /\{ timeout: 100 \}/ })
  await t.throwsAsync(upgrade(server, counter, 100 as never), { instanceOf: TypeError })
  await t.throwsAsync(stopServer(server, 'normal', 100 as never), { instanceOf: TypeError })
  exit(server, 'kill')
})

test('whichChildren of a server or a plain process rejects with what it is', async (t) => {
  const name = uniqueName('not-a-sup')
  const server = makeServer(counter, { name })
  const plain = spawn(idle)
  await t.throwsAsync(whichChildren(server), {
    instanceOf: TypeError,
    message: `whichChildren: ${server} is a makeServer server, not a supervisor`,
  })
  await t.throwsAsync(whichChildren(name), {
    instanceOf: TypeError,
    message: `whichChildren: ${name} is a makeServer server, not a supervisor`,
  })
  await t.throwsAsync(whichChildren(plain), {
    instanceOf: TypeError,
    message:
      /^whichChildren: <.*> is a plain process \(started by spawn, not by makeServer or supervisor\), not a supervisor$/,
  })
  t.is(await call(server, 2), 2, 'the server is untouched')
  exit(server, 'kill')
  exit(plain, 'kill')
})

test('upgrade and stopServer of a plain process or a supervisor reject with what it is', async (t) => {
  const plain = spawn(idle)
  const sup = supervisor({ children: [] })
  await t.throwsAsync(upgrade(plain, counter), {
    instanceOf: UpgradeError,
    message:
      /^upgrade: <.*> is a plain process \(started by spawn, not by makeServer or supervisor\), not a makeServer server$/,
  })
  await t.throwsAsync(upgrade(sup, counter), {
    instanceOf: UpgradeError,
    message: `upgrade: ${sup} is a supervisor, not a makeServer server`,
  })
  await t.throwsAsync(stopServer(plain), { instanceOf: UpgradeError, message: /^stopServer: <.*> is a plain process/ })
  t.truthy(plain, 'still alive to be killed')
  exit(plain, 'kill')
  exit(sup, 'shutdown')
})

test('a process of another thread that answers something else: the answer is named', async (t) => {
  const echo = spawn({ module: ECHO, fn: 'echo' }, { thread: 'pool' }) as Pid
  await t.throwsAsync(whichChildren(echo), {
    instanceOf: TypeError,
    message: /^whichChildren: <.*> is a process that answered \[null,"which_children"\], not a supervisor$/,
  })
  await t.throwsAsync(upgrade(echo, { module: ECHO }), {
    instanceOf: UpgradeError,
    message: /not a makeServer server: it answered/,
  })
  exit(echo, 'kill')
})
