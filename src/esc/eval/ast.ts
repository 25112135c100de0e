// Syntax tree -> ESC expressions: the environment record (imports, values), interpolation `${path}` with `$$`
// escapes, property accessors and the `fn::` built-ins, with the load diagnostics ESC gives (pulumi/esc ast/).
import { type Diagnostic, errorDiag, SEVERITY_WARNING, type SourceRange } from './diagnostics.js'
import type { ObjectNode, StringNode, SyntaxNode } from './syntax.js'

export type Accessor =
  | { kind: 'name'; name: string; range?: SourceRange }
  | { kind: 'subscript'; index: string | number; range?: SourceRange }

export interface Interpolation {
  text: string
  access?: Accessor[]
}

interface ExprBase {
  /** The syntax the expression came from; absent for synthesized expressions. */
  node?: SyntaxNode
}
export interface StringExpr extends ExprBase {
  kind: 'string'
  value: string
}
export interface ObjectProperty {
  key?: StringExpr
  keyNode: SyntaxNode
  value: Expr
}
export type Expr =
  | (ExprBase & { kind: 'null' })
  | (ExprBase & { kind: 'boolean'; value: boolean })
  | (ExprBase & { kind: 'number'; value: number })
  | StringExpr
  | (ExprBase & { kind: 'interpolate'; parts: Interpolation[] })
  | (ExprBase & { kind: 'symbol'; access: Accessor[] })
  | (ExprBase & { kind: 'array'; elements: Expr[] })
  | (ExprBase & { kind: 'object'; entries: ObjectProperty[] })
  | (ExprBase & { kind: 'open'; provider?: StringExpr; inputs?: Expr })
  | (ExprBase & { kind: 'rotate'; provider?: StringExpr; inputs?: Expr; state?: Expr; nameKey: string })
  | (ExprBase & { kind: 'secret'; plaintext?: StringExpr; ciphertext?: StringExpr })
  | (ExprBase & { kind: 'join' | 'split'; delimiter?: Expr; operand?: Expr })
  | (ExprBase & { kind: 'validate'; schema?: Expr; value?: Expr })
  | (ExprBase & {
      kind: 'toJSON' | 'fromJSON' | 'toString' | 'toBase64' | 'fromBase64' | 'final' | 'concat'
      value: Expr
    })

export interface ImportDecl {
  environment?: StringExpr
  merge: boolean
  node: SyntaxNode
}

export interface EnvironmentDecl {
  imports: ImportDecl[]
  values: { key: StringExpr; value: Expr }[]
  description?: string
}

/** ExprError: a diagnostic placed at an expression's syntax (or unplaced for synthesized ones). */
export function exprError(expr: Expr | undefined, summary: string): Diagnostic {
  return errorDiag(summary, expr?.node?.range, expr?.node?.path ?? '')
}

function nodeError(node: SyntaxNode, summary: string): Diagnostic {
  return errorDiag(summary, node.range, node.path)
}

function warning(d: Diagnostic): Diagnostic {
  return { ...d, severity: SEVERITY_WARNING }
}

const stringOf = (node: StringNode): StringExpr => ({ kind: 'string', value: node.value, node })

/** ParseEnvironment: the top-level record. */
export function parseEnvironment(root: SyntaxNode): { env: EnvironmentDecl; diags: Diagnostic[] } {
  const diags: Diagnostic[] = []
  const env: EnvironmentDecl = { imports: [], values: [] }
  if (root.kind !== 'object') {
    diags.push(nodeError(root, 'environment must be an object'))
    return { env, diags }
  }
  const seen = new Set<string>()
  for (const { key, value } of root.entries) {
    const name = key.kind === 'string' ? key.value : ''
    if (seen.has(name)) diags.push(warning(nodeError(key, `duplicate key "${name}"`)))
    seen.add(name)
    switch (name.toLowerCase()) {
      case 'imports':
        parseImports(value, env, diags)
        break
      case 'values':
        parseValues(value, env, diags)
        break
      case 'description':
        if (value.kind === 'string') env.description = value.value
        else diags.push(nodeError(value, 'description must be a string'))
        break
      default:
        diags.push(
          warning(
            nodeError(
              key,
              `Field '${name}' does not exist on Object 'environment'. Existing fields are: 'description', 'imports', 'values'`,
            ),
          ),
        )
    }
  }
  return { env, diags }
}

function parseImports(node: SyntaxNode, env: EnvironmentDecl, diags: Diagnostic[]): void {
  if (node.kind !== 'array') {
    diags.push(nodeError(node, 'imports must be a list'))
    return
  }
  for (const element of node.elements) {
    if (element.kind === 'string') {
      env.imports.push({ environment: stringOf(element), merge: true, node: element })
    } else if (element.kind === 'object') {
      if (element.entries.length !== 1) {
        diags.push(nodeError(element, 'import must have a single key'))
        continue
      }
      const entry = element.entries[0] as { key: SyntaxNode; value: SyntaxNode }
      const decl: ImportDecl = { merge: true, node: element }
      if (entry.key.kind === 'string') decl.environment = stringOf(entry.key)
      parseImportMeta(entry.value, decl, diags)
      env.imports.push(decl)
    } else {
      diags.push(nodeError(element, 'import must be a string or an object'))
    }
  }
}

function parseImportMeta(node: SyntaxNode, decl: ImportDecl, diags: Diagnostic[]): void {
  if (node.kind !== 'object') {
    diags.push(nodeError(node, 'import must be an object'))
    return
  }
  for (const { key, value } of node.entries) {
    if (key.kind === 'string' && key.value.toLowerCase() === 'merge') {
      if (value.kind === 'boolean') decl.merge = value.value
      else diags.push(nodeError(value, 'merge must be a boolean value'))
    }
  }
}

function parseValues(node: SyntaxNode, env: EnvironmentDecl, diags: Diagnostic[]): void {
  if (node.kind !== 'object') {
    diags.push(nodeError(node, 'values must be an object'))
    return
  }
  for (const { key, value } of node.entries) {
    if (key.kind !== 'string') continue
    if (key.value.startsWith('fn::')) {
      diags.push(nodeError(key, `builtin function call "${key.value}" not allowed at the top level`))
    }
    env.values.push({ key: stringOf(key), value: parseExpr(value, diags) })
  }
}

/** ParseExpr: one syntax node to an expression. */
export function parseExpr(node: SyntaxNode, diags: Diagnostic[]): Expr {
  switch (node.kind) {
    case 'null':
      return { kind: 'null', node }
    case 'boolean':
    case 'number':
      return { kind: node.kind, value: node.value, node } as Expr
    case 'string':
      return parseStringExpr(node, diags)
    case 'array':
      return { kind: 'array', elements: node.elements.map((e) => parseExpr(e, diags)), node }
    case 'object': {
      const fn = tryParseFunction(node, diags)
      if (fn) return fn
      const entries: ObjectProperty[] = node.entries.map((entry) => {
        const k = parseExpr(entry.key, diags)
        if (k.kind !== 'string') diags.push(nodeError(entry.key, 'object keys must be strings'))
        return {
          key: k.kind === 'string' ? k : undefined,
          keyNode: entry.key,
          value: parseExpr(entry.value, diags),
        }
      })
      return { kind: 'object', entries, node }
    }
  }
}

function parseStringExpr(node: StringNode, diags: Diagnostic[]): Expr {
  const parts = parseInterpolation(node, diags)
  if (parts.length === 0) return { kind: 'string', value: node.value, node }
  if (parts.length === 1) {
    const only = parts[0] as Interpolation
    if (!only.access) return { kind: 'string', value: only.text, node }
    if (only.text === '') return { kind: 'symbol', access: only.access, node }
  }
  return { kind: 'interpolate', parts, node }
}

/** Splits a string into literal text and `${...}` accesses; `$$` is a literal `$`. */
function parseInterpolation(node: StringNode, diags: Diagnostic[]): Interpolation[] {
  const value = node.value
  const parts: Interpolation[] = []
  let text = ''
  let i = 0
  while (i < value.length) {
    if (value.startsWith('$$', i)) {
      text += '$'
      i += 2
    } else if (value.startsWith('${', i)) {
      const parser = new AccessParser(node, value, i + 2, diags)
      const access = parser.parse()
      parts.push({ text, access })
      text = ''
      i = parser.offset
    } else {
      text += value[i]
      i++
    }
  }
  if (text.length > 0) parts.push({ text })
  return parts
}

const isSpace = (c: string): boolean => /\s/.test(c)

/** The `${...}` property-path grammar (ast/property.go): names, `["key"]` and `[0]` subscripts. */
class AccessParser {
  private readonly accessors: Accessor[] = []
  constructor(
    private readonly node: StringNode,
    private readonly text: string,
    public offset: number,
    private readonly diags: Diagnostic[],
  ) {}

  private rangeFrom(start: number): SourceRange | undefined {
    return this.node.subRange?.(start, this.offset)
  }

  private error(start: number, summary: string): void {
    this.diags.push(errorDiag(summary, this.rangeFrom(start) ?? this.node.range, this.node.path))
  }

  private peek(): string | undefined {
    return this.offset < this.text.length ? this.text[this.offset] : undefined
  }

  parse(): Accessor[] {
    for (;;) {
      const c = this.peek()
      if (c === undefined) {
        this.error(this.offset, "missing closing brace '}' in interpolation")
        return this.finish(this.offset)
      }
      if (c === '}') {
        const at = this.offset++
        return this.finish(at)
      }
      if (c === '.') {
        this.accessors.push(this.parseName(this.offset++))
      } else if (c === '[') {
        this.accessors.push(this.parseSubscript(this.offset++))
      } else if (isSpace(c)) {
        this.error(this.offset, "missing closing brace '}' in interpolation")
        return this.finish(this.offset)
      } else {
        this.accessors.push(this.parseName(this.offset))
      }
    }
  }

  private finish(start: number): Accessor[] {
    if (this.accessors.length === 0)
      this.accessors.push({ kind: 'name', name: '', range: this.rangeFrom(start) })
    return this.accessors
  }

  private parseName(start: number): Accessor {
    let name = ''
    for (
      let c = this.peek();
      c !== undefined && c !== '.' && c !== '[' && c !== '}' && !isSpace(c);
      c = this.peek()
    ) {
      name += c
      this.offset++
    }
    if (name.length === 0) this.error(start, 'property name must not be empty')
    return { kind: 'name', name, range: this.rangeFrom(start) }
  }

  private parseSubscript(start: number): Accessor {
    if (this.peek() === undefined) {
      this.error(start, "subscript is missing closing bracket ']'")
      return { kind: 'subscript', index: '', range: this.rangeFrom(start) }
    }
    let index: string | number
    if (this.peek() === '"') {
      this.offset++
      index = this.parseStringSubscript(start)
    } else {
      index = this.parseIndexSubscript(start)
    }
    if (this.peek() !== ']') this.error(start, "subscript is missing closing bracket ']'")
    else this.offset++
    return { kind: 'subscript', index, range: this.rangeFrom(start) }
  }

  private parseStringSubscript(start: number): string {
    let key = ''
    for (;;) {
      const c = this.peek()
      if (c === undefined) {
        this.error(start + 1, "key subscript is missing closing quote '\"'")
        return key
      }
      this.offset++
      if (c === '"') {
        if (key.length === 0) this.error(start + 1, 'key subscript must not be empty')
        return key
      }
      if (c === '\\' && this.peek() === '"') {
        this.offset++
        key += '"'
        continue
      }
      key += c
    }
  }

  private parseIndexSubscript(start: number): string | number {
    let digits = ''
    for (
      let c = this.peek();
      c !== undefined && c !== ']' && c !== '.' && c !== '[' && c !== '}' && !isSpace(c);
      c = this.peek()
    ) {
      digits += c
      this.offset++
    }
    if (!/^[+-]?\d+$/.test(digits)) {
      this.error(start + 1, 'numeric subscript must be a positive base-10 integer')
      return digits
    }
    if (this.accessors.length === 0) {
      this.error(
        start,
        'the first accessor must be a property name or key subscript, not a numeric subscript',
      )
    }
    return Number.parseInt(digits, 10)
  }
}

/** Renders an accessor path the way ESC names it in messages (`a.b["c d"][0]`). */
export function accessPath(access: readonly Accessor[]): string {
  let out = ''
  for (const a of access) {
    if (a.kind === 'name') out += out.length === 0 ? a.name : `.${a.name}`
    else if (typeof a.index === 'number') out += `[${a.index}]`
    else out += `["${a.index.replaceAll('"', '\\"')}"]`
  }
  return out
}

const BUILTINS = new Set([
  'fn::concat',
  'fn::final',
  'fn::validate',
  'fn::fromJSON',
  'fn::fromBase64',
  'fn::join',
  'fn::open',
  'fn::rotate',
  'fn::secret',
  'fn::split',
  'fn::toBase64',
  'fn::toJSON',
  'fn::toString',
])

function tryParseFunction(node: ObjectNode, diags: Diagnostic[]): Expr | undefined {
  if (node.entries.length !== 1) {
    for (const { key } of node.entries) {
      if (key.kind === 'string' && key.value.startsWith('fn::')) {
        diags.push(
          nodeError(
            node,
            `illegal call to builtin function: "${key.value}" must be the only key within its containing object`,
          ),
        )
      }
    }
    return undefined
  }
  const entry = node.entries[0] as { key: SyntaxNode; value: SyntaxNode }
  if (entry.key.kind !== 'string') return undefined
  const name = entry.key.value
  const isShortOpen = name.startsWith('fn::open::')
  const isShortRotate = name.startsWith('fn::rotate::')
  if (!BUILTINS.has(name) && !isShortOpen && !isShortRotate) {
    if (name.toLowerCase().startsWith('fn::')) {
      diags.push(errorDiag("'fn::' is a reserved prefix", entry.key.range, node.path))
    }
    return undefined
  }
  const args = parseExpr(entry.value, diags)
  const keyExpr = stringOf(entry.key)
  if (isShortOpen) {
    return {
      kind: 'open',
      provider: { ...keyExpr, value: name.slice('fn::open::'.length) },
      inputs: args,
      node,
    }
  }
  if (isShortRotate)
    return parseRotate(node, name, args, { ...keyExpr, value: name.slice('fn::rotate::'.length) }, diags)
  switch (name) {
    case 'fn::open':
      return parseOpen(node, args, diags)
    case 'fn::rotate':
      return parseRotate(node, name, args, undefined, diags)
    case 'fn::secret':
      return parseSecret(node, args, diags)
    case 'fn::join':
    case 'fn::split': {
      const kind = name === 'fn::join' ? 'join' : 'split'
      if (args.kind !== 'array' || args.elements.length !== 2) {
        diags.push(exprError(args, `the argument to ${name} must be a two-valued list`))
        return { kind, node }
      }
      return { kind, delimiter: args.elements[0], operand: args.elements[1], node }
    }
    case 'fn::concat':
      if (args.kind !== 'array')
        diags.push(exprError(args, 'the argument to fn::concat must be an array of arrays'))
      return { kind: 'concat', value: args, node }
    case 'fn::validate':
      return parseValidate(node, args, diags)
    default:
      return { kind: name.slice(4) as 'toJSON', value: args, node }
  }
}

function objectArg(args: Expr, key: string): Expr | undefined {
  if (args.kind !== 'object') return undefined
  return args.entries.find((e) => e.key?.value === key)?.value
}

function parseOpen(node: ObjectNode, args: Expr, diags: Diagnostic[]): Expr {
  if (args.kind !== 'object') {
    diags.push(
      exprError(args, "the argument to fn::open must be an object containing 'provider' and 'inputs'"),
    )
    return { kind: 'open', node }
  }
  const providerExpr = objectArg(args, 'provider')
  const inputs = objectArg(args, 'inputs')
  if (!providerExpr) diags.push(exprError(args, "missing provider name ('provider')"))
  else if (providerExpr.kind !== 'string')
    diags.push(exprError(providerExpr, 'provider name must be a string literal'))
  if (!inputs) diags.push(exprError(args, "missing provider inputs ('inputs')"))
  return { kind: 'open', provider: providerExpr?.kind === 'string' ? providerExpr : undefined, inputs, node }
}

function parseRotate(
  node: ObjectNode,
  name: string,
  args: Expr,
  shortProvider: StringExpr | undefined,
  diags: Diagnostic[],
): Expr {
  if (args.kind !== 'object') {
    const wants = shortProvider ? "'inputs' and 'state'" : "'provider', 'inputs' and 'state'"
    diags.push(exprError(args, `the argument to fn::rotate must be an object containing ${wants}`))
    return { kind: 'rotate', nameKey: name, node }
  }
  let provider = shortProvider
  if (!shortProvider) {
    const providerExpr = objectArg(args, 'provider')
    if (!providerExpr) diags.push(exprError(args, "missing provider name ('provider')"))
    else if (providerExpr.kind !== 'string')
      diags.push(exprError(providerExpr, 'provider name must be a string literal'))
    else provider = providerExpr
  }
  const inputs = objectArg(args, 'inputs')
  let state = objectArg(args, 'state')
  if (!inputs) diags.push(exprError(args, "missing provider inputs ('inputs')"))
  if (!state) state = { kind: 'null' }
  else if (state.kind !== 'object') diags.push(exprError(state, 'rotation state must be an object literal'))
  return { kind: 'rotate', provider, inputs, state, nameKey: name, node }
}

function parseSecret(node: ObjectNode, args: Expr, diags: Diagnostic[]): Expr {
  if (args.kind === 'object' && args.entries.length === 1) {
    const only = args.entries[0] as ObjectProperty
    if (only.key?.value === 'ciphertext' && only.value.kind === 'string') {
      return { kind: 'secret', ciphertext: only.value, node }
    }
  }
  if (args.kind !== 'string') {
    diags.push(exprError(args, 'secret values must be string literals'))
    return { kind: 'secret', plaintext: { kind: 'string', value: '' }, node }
  }
  return { kind: 'secret', plaintext: args, node }
}

function parseValidate(node: ObjectNode, args: Expr, diags: Diagnostic[]): Expr {
  if (args.kind !== 'object') {
    diags.push(
      exprError(args, "the argument to fn::validate must be an object containing 'schema' and 'value'"),
    )
    return { kind: 'validate', node }
  }
  const schema = objectArg(args, 'schema')
  const value = objectArg(args, 'value')
  if (!schema) diags.push(exprError(args, "missing required property 'schema'"))
  if (!value) diags.push(exprError(args, "missing required property 'value'"))
  return { kind: 'validate', schema, value, node }
}
