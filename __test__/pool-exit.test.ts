// The pool's life: a worker that dies takes its processes down with
// 'thread_exit' (links and monitors elsewhere are told) and is replaced on
// the next spawn; a program with an idle pool exits by itself. Separate
// from pool.test.ts because ending a worker kills everything on it.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import { configurePool, type Pid, poolInfo, type SpawnSpec, spawn, stopPool } from '../index.ts'
import { isDown, isExitFrom, next, run } from './helpers.ts'

const BODIES = new URL('./fixtures/pool-bodies.ts', import.meta.url).href
const body = (fn: string, ...args: unknown[]): SpawnSpec => ({ module: BODIES, fn, args })

test.after.always(() => stopPool())

test.serial(
  'a pool worker that dies takes its processes down with thread_exit, and a new one takes its place',
  async (t) => {
    configurePool({ size: 1 })
    await run(async (p) => {
      p.trapExit(true)
      const echo = p.spawnLink(body('echo'), { thread: 'pool' })
      t.is(await p.call(echo, 'up', { timeout: 60_000 }), 'up')
      const ref = p.monitor(echo)
      // Its neighbour on the same worker ends the thread.
      spawn(body('endThread'), { thread: 'pool' })
      const exit = (await next(p, isExitFrom(echo))) as unknown[]
      t.is(exit[2], 'thread_exit')
      const down = (await next(p, isDown(ref))) as unknown[]
      t.is(down[3], 'thread_exit')
      // The next spawn starts a fresh worker.
      const again: Pid = spawn(body('echo'), { thread: 'pool' })
      t.is(await p.call(again, 'again', { timeout: 60_000 }), 'again')
      t.is(poolInfo().started, 1)
      p.send(again, 'stop')
    })
  },
)

test('a program whose pool is idle exits by itself, after its last pool process ran', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bfly-pool-'))
  const file = join(dir, 'ran.txt')
  const main = fileURLToPath(new URL('./fixtures/pool-main.ts', import.meta.url))
  // The timeout only keeps a hung program from hanging the test run.
  const r = spawnSync(process.execPath, ['--import=tsx', main, file], { encoding: 'utf8', timeout: 90_000 })
  t.is(r.signal, null, `the program had to be killed: something held it open; stdout: ${r.stdout} stderr: ${r.stderr}`)
  t.is(r.status, 0, r.stderr)
  const lines = r.stdout.trim().split('\n')
  t.is(JSON.parse(lines[0] ?? 'null')[0], 'done')
  t.is(JSON.parse(lines[1] ?? 'null'), 'answered')
  t.true(existsSync(file))
  t.is(readFileSync(file, 'utf8'), 'ran')
})
