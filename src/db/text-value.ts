/**
 * A string as a text column can hold it on every dialect: PostgreSQL refuses NUL (U+0000) in text values, which
 * valid JSON may carry, so it becomes U+FFFD (Go's replacement for what it cannot represent). Use it only for
 * display and index columns; payloads that must round-trip are stored as JSON or bytes, where NUL is escaped.
 */
export function textValue(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value
}

/**
 * PostgreSQL's refusal of such a value (SQLSTATE 22021, or 22P05 from jsonb): the client's input, so a 400 that
 * says what to change rather than an internal error. Text columns that take CLI data use `textValue` first.
 */
export function isTextValueError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '22021' || code === '22P05'
}
