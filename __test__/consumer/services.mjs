// `bfly node --services ./services.mjs`: ECHO answers calls with [lang, request].
import { registerService, spawn } from 'bfly'
import { echo } from './body.mjs'

export function start() {
  registerService('ECHO', spawn(echo))
}
