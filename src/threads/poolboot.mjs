// The entry of a pool worker: registers tsx when bfly runs as TypeScript
// (a worker does not inherit the parent's loader hooks), then loads the
// worker's runtime (src/threads/poolworker).
import { workerData } from 'node:worker_threads'

if (workerData.tsx) {
  const { register } = await import('tsx/esm/api')
  register()
}
await import(workerData.entry)
