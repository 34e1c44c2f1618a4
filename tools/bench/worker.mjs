// Starts a bench worker entry (workerData.entry) as tools/bench/dist.mjs
// starts a bench child: TypeScript through tsx, bfly from dist/.
import { register } from 'node:module'
import { workerData } from 'node:worker_threads'
import { register as registerTsx } from 'tsx/esm/api'

registerTsx()
register('./redirect.mjs', import.meta.url)
await import(workerData.entry)
