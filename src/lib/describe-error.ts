/** An error as an operator can read it: its code or name and message, never a request, stack or credentials. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  // Node's string codes (ENOENT…) name the problem; numeric ones (gRPC) are already in the message.
  const code: unknown = (error as { code?: unknown }).code
  const name = typeof code === 'string' ? code : error.name !== 'Error' ? error.name : undefined
  const message = error.message && error.message !== 'UnknownError' ? error.message : ''
  return [name, message].filter(Boolean).join(': ') || 'unknown error'
}
