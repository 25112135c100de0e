/** Console pages are not API: their operationIds carry this prefix and the OpenAPI document leaves them out. */
const CONSOLE_PREFIX = 'console.'

export function consoleOperation(name: string): string {
  return `${CONSOLE_PREFIX}${name}`
}

export function isConsoleRoute(operationId: string): boolean {
  return operationId.startsWith(CONSOLE_PREFIX)
}
