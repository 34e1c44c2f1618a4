// The seed's "Standard Server Example" in TypeScript:
//
//   (defun echo-handler (msg state)
//     (make-handler-response :answer msg :state state))
//   (register-service :ECHO (make-server 'echo-service))
//   (!? :ECHO "Hello") -> "Hello"
//
// The user codes the handler, not the message protocol.
import { call, makeServer } from '../index.ts'

/** The seed's echo-handler: answer the message, keep the state. */
export const echoHandlers = {
  handle: (msg: unknown, state: null) => ({ answer: msg, state }),
}

/** Starts the echo server registered as `name` (seed register-service :ECHO). */
export function startEcho(name = 'ECHO') {
  return makeServer(echoHandlers, { name })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  startEcho()
  console.log(`(!? :ECHO "Hello") -> ${await call('ECHO', 'Hello')}`)
}
