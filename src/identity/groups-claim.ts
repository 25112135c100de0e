/**
 * Reads a groups claim the way identity providers spell it: a string array, Keycloak-style objects with a `name`,
 * or one comma-separated string (Go server: internal/auth/oidc.go). Anything else yields no groups.
 */
export function parseGroupsClaim(value: unknown): string[] {
  if (typeof value === 'string') return splitList(value)
  if (!Array.isArray(value)) return []
  const groups: string[] = []
  for (const item of value) {
    if (typeof item === 'string' && item.trim() !== '') groups.push(item.trim())
    else if (item && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string') {
      const name = (item as { name: string }).name.trim()
      if (name !== '') groups.push(name)
    }
  }
  return groups
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
}
