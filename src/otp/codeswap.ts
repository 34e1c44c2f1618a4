// Hot code loading of a server (OTP's code_change): new handlers, given as an
// object or as a module and export (a CodeSpec, the form that travels to
// other threads and nodes), are loaded, checked and handed the old state.
import { describe, RefusedError } from '../kernel/errors.js'
import { importModule, specifier } from '../kernel/spec.js'
import { admit, ModuleRefused } from '../nodes/modules.js'
import { checkHandlers, isThenable, type ServerHandlers } from './handlers.js'

/** Code named by module and export (the form that travels to other
 * threads and nodes): `import(module)[export]` is a handlers object. A
 * relative path is resolved against the current directory. */
export interface CodeSpec {
  /** A module specifier or a path (relative to the current directory) to import. */
  module: string
  /** The export that holds the handlers object (default `'default'`). */
  export?: string
}

/** `upgrade` failed: the server keeps its old handlers and state. */
export class UpgradeError extends Error {
  /** Always `'UpgradeError'`; the failure it reports is its `cause` when the server sent one. */
  override name = 'UpgradeError'
}

/** Loads and checks new handlers, then migrates the state. An Error
 * (never a throw) when any step fails: the server keeps running as it was. */
export async function swap(
  code: unknown,
  state: unknown,
): Promise<{ handlers: ServerHandlers; state: unknown } | Error> {
  try {
    const handlers = await loadHandlers(code)
    let next: unknown = state
    if (handlers.codeChange !== undefined) {
      next = handlers.codeChange(state)
      if (isThenable(next)) next = await next
    }
    return { handlers, state: next }
  } catch (e) {
    return e instanceof Error ? e : new UpgradeError(`upgrade failed: ${describe(e)}`)
  }
}

/** Code specs passed to `upgrade` on this thread. A spec that came from
 * another thread or node is a fresh decoded object, never one of these. */
const fromHere = new WeakSet<CodeSpec>()

/** Marks `code` as passed to `upgrade` on this thread (its module is not checked against the admitted ones). */
export function fromThisThread(code: CodeSpec): void {
  fromHere.add(code)
}

/** A handlers object, or the one a CodeSpec names (imported). A spec from
 * another node or thread names a module the node admits (src/modules.ts),
 * or the upgrade is refused: any cookie holder may call a server. */
async function loadHandlers(code: unknown): Promise<ServerHandlers> {
  if (isCodeSpec(code)) {
    let url = specifier(code.module)
    if (!fromHere.has(code)) {
      const admitted = admit(code.module, 'upgrade')
      if (admitted instanceof ModuleRefused) throw new RefusedError(admitted.message)
      url = admitted
    }
    const mod = await importModule(url)
    const name = code.export ?? 'default'
    const h = mod[name]
    if (h === undefined) throw new UpgradeError(`upgrade: module '${code.module}' has no export '${name}'`)
    checkHandlers(h, `upgrade: ${code.module}#${name}`)
    return h
  }
  checkHandlers(code, 'upgrade')
  return code
}

export function isCodeSpec(code: unknown): code is CodeSpec {
  if (code === null || typeof code !== 'object' || typeof (code as CodeSpec).module !== 'string') return false
  const e = (code as CodeSpec).export
  if (e !== undefined && typeof e !== 'string') throw new TypeError('upgrade: { module, export } needs a string export')
  return true
}
