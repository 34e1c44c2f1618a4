// A promise and its resolvers without a closure per promise: one shared
// executor hands them over through two module variables, read right after
// `pending()` returns. Every receive and call makes a promise, so this
// saves an allocation (a closure and its context) on each message's path.

let res: (v: unknown) => void = () => {}
let rej: (e: unknown) => void = () => {}
const executor = (r: (v: unknown) => void, j: (e: unknown) => void): void => {
  res = r
  rej = j
}

/** A new pending promise; take its resolvers with `lastResolve()` and
 * `lastReject()` before calling `pending()` again. */
export function pending<T>(): Promise<T> {
  return new Promise<T>(executor as (r: (v: T) => void, j: (e: unknown) => void) => void)
}

export function lastResolve(): (v: unknown) => void {
  return res
}

export function lastReject(): (e: unknown) => void {
  return rej
}
