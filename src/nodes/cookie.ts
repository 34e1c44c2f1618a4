// The cluster cookie's one parser, shared by startNode and the CLI's
// cookie file: 32 bytes, given as bytes or as the text `bfly cookie` writes.

/** The text form of a cookie: 64 hex characters (32 bytes); whitespace
 * around them, such as a file's final newline, is ignored. */
const HEX64 = /^[0-9a-fA-F]{64}$/

/** The 32 bytes of a cookie in its text form (`bfly cookie`'s output, or a
 * cookie file's content read as it is), or undefined when `text` is not
 * 64 hex characters with only whitespace around them. */
export function cookieFromText(text: string): Uint8Array | undefined {
  const t = text.trim()
  return HEX64.test(t) ? Buffer.from(t, 'hex') : undefined
}

/** `c` as the cookie's 32 bytes: a Uint8Array of 32 bytes, or the text form
 * (see `cookieFromText`). Throws a TypeError that shows both forms. */
export function cookieBytes(c: unknown, what: string): Uint8Array {
  if (c instanceof Uint8Array && c.length === 32) return c
  const bytes = typeof c === 'string' ? cookieFromText(c) : undefined
  if (bytes !== undefined) return bytes
  const got =
    c instanceof Uint8Array
      ? `${c.length} bytes`
      : typeof c === 'string'
        ? `a string of ${c.trim().length} characters (without surrounding whitespace) that is not all hex`
        : c === null
          ? 'null'
          : typeof c
  throw new TypeError(
    `${what}: cookie must be 32 bytes: a Uint8Array(32), or 64 hex characters such as a cookie file's content ` +
      `(readFileSync(file, 'utf8'); surrounding whitespace is ignored); got ${got}`,
  )
}
