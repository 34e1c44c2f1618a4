import { spawnSync } from 'node:child_process'
import { configurePool, poolInfo, spawn, stopPool } from '../index.ts'

configurePool({ size: 1 })
const module = new URL('../__test__/fixtures/pool-bodies.ts', import.meta.url).href
spawn(async (p) => {
  const again = spawn({ module, fn: 'echo' }, { thread: 'pool' })
  console.log(await p.call(again, 'again', { timeout: 60000 }), poolInfo())
  p.send(again, 'stop')
  if (process.argv[2] === 'sync') spawnSync('sleep', ['1'])
  await new Promise((r) => setImmediate(r))
  console.log('stopping')
  await stopPool()
  console.log('stopped')
})
process.on('beforeExit', () => console.log('beforeExit'))
