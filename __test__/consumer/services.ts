// `bfly node --services ./services.ts`, under a TypeScript loader.
import { type Node, registerService, spawn } from 'bfly'
import { echo } from './body.ts'

export function start(node: Node): void {
  registerService('ECHO', spawn(echo))
  registerService(
    'NAME',
    spawn(async (p) => {
      await p.receive()
      void node.name
    }),
  )
}
