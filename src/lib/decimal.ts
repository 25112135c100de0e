/**
 * A number from a path or query segment: only the canonical decimal form the CLI writes (`%d`), within the safe
 * integer range and at least `min`. Number() alone would also take "1e20", "0x1", " 1" or "1.0". Undefined when
 * the text is anything else.
 */
export function parseDecimalInteger(raw: string, min: number): number | undefined {
  if (!/^-?(?:0|[1-9][0-9]{0,15})$/.test(raw)) return undefined
  const value = Number(raw)
  return Number.isSafeInteger(value) && value >= min ? value : undefined
}
