/** An error as an operator can read it: its code or name and message, never a request, stack or credentials. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as NodeJS.ErrnoException).code
  const name = code ?? (error.name !== 'Error' ? error.name : undefined)
  const message = error.message && error.message !== 'UnknownError' ? error.message : ''
  return [name, message].filter(Boolean).join(': ') || 'unknown error'
}
