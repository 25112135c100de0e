/**
 * Stack patterns: `*` matches any run of characters within one path segment (never `/`), `?` one character,
 * `[abc]` / `[!abc]` a character class, as Go's filepath.Match that the Go server's configs were written for.
 * Anchored: the whole `org/project/stack` must match.
 */
export function compileGlob(pattern: string): RegExp {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '*') source += '[^/]*'
    else if (c === '?') source += '[^/]'
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2)
      if (end < 0) throw new Error(`unclosed '[' in pattern ${JSON.stringify(pattern)}`)
      let body = pattern.slice(i + 1, end)
      const negated = body.startsWith('!') || body.startsWith('^')
      if (negated) body = body.slice(1)
      if (body.includes('/'))
        throw new Error(`a character class cannot contain '/' in ${JSON.stringify(pattern)}`)
      source += `[${negated ? '^/' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`
      i = end
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}
