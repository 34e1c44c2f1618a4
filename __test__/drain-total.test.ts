// The drain loop's handlers are total (issue 14, finding 2, the JS half):
// whatever bytes reach this thread's inbox on the reply or signal lane
// (from a peer's frame or another thread), delivering them never throws
// out of the drain (a throw there ends the OS process: it runs in a
// threadsafe function). Bytes are posted straight into this thread's
// native inbox, the path every cross-thread and remote delivery takes.
import test from 'ava'
import { encode, Pid, Ref, spawn } from '../index.ts'
import { systemPid } from '../src/kernel/thread.ts'
import { native } from '../src/native/index.ts'
import { within } from './helpers.ts'

const { LANE_SIGNAL: SIGNAL, LANE_REPLY: REPLY, LANE_USER: USER } = native

const deep = (n: number) => Uint8Array.from([...new Array(n).fill(0x91), 0xc0])
const JUNK: Uint8Array[] = [
  Uint8Array.of(0xc1),
  Uint8Array.of(0xc0),
  Uint8Array.of(),
  Uint8Array.of(0x93, 0x01, 0x02),
  deep(100_000),
  encode('text'),
  encode([1, 2]),
  encode([new Ref('x@h', 1)]),
  encode([new Ref('x@h', 1), 1, 2]),
  encode(['EXIT']),
  encode(['EXIT', null, 'boom', true]),
  encode(['EXIT', 'not a pid', 'boom', false]),
  encode(['DOWN', 1, 2, 3]),
  encode(['DOWN', new Ref('x@h', 1)]),
  encode({ 0: 'EXIT', 1: new Pid('x@h', 1), length: 4 }),
]

test('junk on the reply and signal lanes is dropped; the process it names lives on', async (t) => {
  const got: unknown[] = []
  const p = spawn(async (q) => {
    for (;;) {
      const m = await q.receive()
      got.push(m)
      if (m === 'sync') return
    }
  })
  for (const bytes of JUNK) {
    native.post(systemPid().id, REPLY, bytes)
    native.post(p.id, REPLY, bytes)
    native.post(p.id, SIGNAL, bytes)
    native.post(systemPid().id, SIGNAL, bytes)
  }
  // After the junk in the same inbox: delivered once the junk has been.
  native.post(p.id, USER, encode('sync'))
  await within(
    new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (got.includes('sync')) {
          clearInterval(poll)
          resolve()
        }
      }, 5)
    }),
    'the message posted after the junk',
  )
  t.deepEqual(got, ['sync'], 'no junk signal reached the process as a message, none killed it')
})
