// The entry of a pool worker: registers tsx when the main thread has it
// (bfly itself running as TypeScript, or a program started under tsx:
// `tsx app.ts`, `node --import tsx`), since a worker on Node 20 inherits
// no loader hooks; then loads the worker's runtime (src/threads/poolworker).
import { workerData } from 'node:worker_threads'

if (workerData.tsx) {
  const { register } = await import('tsx/esm/api')
  register()
}
await import(workerData.entry)
