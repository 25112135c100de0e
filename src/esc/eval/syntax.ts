// YAML text -> syntax tree with ESC's source ranges and document paths.
// Ranges follow pulumi/esc syntax/encoding/yaml.go (positionIndex, yamlEndPos): a node begins where yaml.v3 puts it
// (a block mapping at its first key), a scalar ends at its start column plus the byte length of its *decoded* value,
// and a collection ends where its last child ends.
import { isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, type Node as YamlNode } from 'yaml'
import { type Diagnostic, errorDiag, type Pos, type SourceRange } from './diagnostics.js'

interface NodeBase {
  range: SourceRange
  /** The document path, e.g. `values.a[0]`. */
  path: string
}
export interface NullNode extends NodeBase {
  kind: 'null'
}
export interface BooleanNode extends NodeBase {
  kind: 'boolean'
  value: boolean
}
export interface NumberNode extends NodeBase {
  kind: 'number'
  value: number
}
export interface StringNode extends NodeBase {
  kind: 'string'
  value: string
  /** Maps [start, end) offsets within a single-line plain scalar to a source range (ScalarRange in ESC). */
  subRange?: (start: number, end: number) => SourceRange
}
export interface ArrayNode extends NodeBase {
  kind: 'array'
  elements: SyntaxNode[]
}
export interface ObjectEntry {
  key: SyntaxNode
  value: SyntaxNode
}
export interface ObjectNode extends NodeBase {
  kind: 'object'
  entries: ObjectEntry[]
}
export type SyntaxNode = NullNode | BooleanNode | NumberNode | StringNode | ArrayNode | ObjectNode

/** Appends a key to a document path, bracket-quoting keys that are not identifiers (internal/util/path.go JoinKey). */
export function joinKey(root: string, key: string): string {
  if (key === '') return root
  if (!mustEscapeKey(key)) return root === '' ? key : `${root}.${key}`
  return `${root}["${key.replaceAll('"', '\\"')}"]`
}

function mustEscapeKey(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const c = key[i] as string
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_') continue
    if (c >= '0' && c <= '9' && i > 0) continue
    return true
  }
  return false
}

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8')

/** Line/column bookkeeping over the source, in the units ESC reports (1-based lines and columns, byte offsets). */
class PositionIndex {
  private readonly lineStarts: number[] = [0]
  private readonly lineByteStarts: number[] = [0]
  constructor(
    private readonly source: string,
    private readonly environment: string,
  ) {
    let bytes = 0
    for (let i = 0; i < source.length; i++) {
      const code = source.charCodeAt(i)
      bytes +=
        code < 0x80
          ? 1
          : code < 0x800
            ? 2
            : code >= 0xd800 && code < 0xdc00
              ? 4
              : code >= 0xdc00 && code < 0xe000
                ? 0
                : 3
      if (code === 10) {
        this.lineStarts.push(i + 1)
        this.lineByteStarts.push(bytes)
      }
    }
  }

  charAt(offset: number): string {
    return this.source.charAt(offset)
  }

  /** Line and column (code points) of a string offset. */
  lineColumn(offset: number): { line: number; column: number } {
    let lo = 0
    let hi = this.lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((this.lineStarts[mid] as number) <= offset) lo = mid
      else hi = mid - 1
    }
    const start = this.lineStarts[lo] as number
    const next = this.lineByteStarts[lo + 1]
    const asciiLine =
      next !== undefined &&
      next - (this.lineByteStarts[lo] as number) === (this.lineStarts[lo + 1] as number) - start
    if (asciiLine) return { line: lo + 1, column: offset - start + 1 }
    return { line: lo + 1, column: [...this.source.slice(start, offset)].length + 1 }
  }

  /** The position of (line, column); like ESC, the byte is left 0 on the last line of the file. */
  pos(line: number, column: number): Pos {
    if (line < 1 || line >= this.lineStarts.length) return { line, column, byte: 0 }
    const start = this.lineStarts[line - 1] as number
    const end = (this.lineStarts[line] as number) - 1
    // ASCII lines (the common case): columns are bytes.
    if (
      (this.lineByteStarts[line] as number) - (this.lineByteStarts[line - 1] as number) ===
      end - start + 1
    ) {
      return { line, column, byte: (this.lineByteStarts[line - 1] as number) + column - 1 }
    }
    const chars = [...this.source.slice(start, end)]
    const prefix = chars.slice(0, Math.max(0, column - 1)).join('')
    const beyond = Math.max(0, column - 1 - chars.length)
    return { line, column, byte: (this.lineByteStarts[line - 1] as number) + utf8Length(prefix) + beyond }
  }

  range(begin: Pos, end: Pos): SourceRange {
    return { environment: this.environment, begin, end }
  }
}

export interface ParsedSyntax {
  root?: SyntaxNode
  diags: Diagnostic[]
}

/** Parses a YAML document into a syntax tree; YAML errors come back as unplaced diagnostics. */
export function parseYamlSyntax(environment: string, source: string): ParsedSyntax {
  if (source.length === 0) {
    const index = new PositionIndex(source, environment)
    const zero = index.pos(0, 0)
    return { root: { kind: 'object', entries: [], range: index.range(zero, zero), path: '' }, diags: [] }
  }
  const doc = parseDocument(source, { uniqueKeys: false, strict: false, prettyErrors: false })
  if (doc.errors.length > 0) {
    const first = doc.errors[0]
    const offset = first?.pos?.[0] ?? 0
    const line = source.slice(0, offset).split('\n').length
    const message = (first?.message ?? 'invalid YAML').split('\n')[0] as string
    // The parser recurses per nesting level: running out of stack means the document nests too deeply.
    const summary = /Maximum call stack/.test(message)
      ? 'the document is nested too deeply'
      : (unterminatedFlow(source, offset, message) ??
        `yaml: line ${line}: ${message.replace(/ at line \d+, column \d+.*$/, '')}`)
    return { diags: [errorDiag(summary, undefined, '')] }
  }
  const index = new PositionIndex(source, environment)
  const diags: Diagnostic[] = []
  const contents = doc.contents as YamlNode | null
  if (contents === null || (isScalar(contents) && contents.value === null && contents.source === undefined)) {
    const zero = index.pos(1, 1)
    return { root: { kind: 'object', entries: [], range: index.range(zero, zero), path: '' }, diags }
  }
  const root = convert(contents, '', index, diags)
  return { root, diags }
}

function startOf(node: YamlNode, index: PositionIndex): { line: number; column: number } {
  let offset = node.range?.[0] ?? 0
  // yaml.v3 places an empty scalar right after its indicator (`-`, `key:`), before any blanks.
  if (isScalar(node) && node.source === '' && node.type === Scalar.PLAIN) {
    while (offset > 0 && (index.charAt(offset - 1) === ' ' || index.charAt(offset - 1) === '\t')) offset--
  }
  return index.lineColumn(offset)
}

/** yamlEndPos: where ESC considers a node to end. */
function endOf(node: YamlNode, index: PositionIndex): Pos {
  if (isMap(node) || isSeq(node)) {
    const items = node.items
    const last = items[items.length - 1]
    if (last === undefined) {
      const s = startOf(node, index)
      return index.pos(s.line, s.column)
    }
    if (isMap(node)) {
      const pair = last as { key: YamlNode | null; value: YamlNode | null }
      const target = pair.value ?? pair.key
      if (target && (target as YamlNode).range) return endOf(target as YamlNode, index)
      return index.pos(startOf(node, index).line, startOf(node, index).column)
    }
    return endOf(last as YamlNode, index)
  }
  const s = startOf(node, index)
  let line = s.line
  let text = isScalar(node) ? scalarText(node) : ''
  if (isScalar(node) && node.type === Scalar.BLOCK_LITERAL) {
    let nl = text.indexOf('\n')
    while (nl !== -1) {
      line++
      text = text.slice(nl + 1)
      nl = text.indexOf('\n')
    }
  }
  return index.pos(line, s.column + utf8Length(text))
}

/** The decoded text of a scalar as yaml.v3 keeps it in Node.Value. */
function scalarText(node: Scalar): string {
  if (typeof node.source === 'string' && (node.type === Scalar.PLAIN || node.type === undefined))
    return node.source
  const v = node.value
  return v === null || v === undefined ? '' : String(v)
}

function convert(node: YamlNode, path: string, index: PositionIndex, diags: Diagnostic[]): SyntaxNode {
  const s = startOf(node, index)
  const range = index.range(index.pos(s.line, s.column), endOf(node, index))
  if (isMap(node)) {
    const entries: ObjectEntry[] = []
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null
      const keyText = keyNode && isScalar(keyNode) ? scalarText(keyNode) : ''
      const childPath = joinKey(path, keyText)
      let key: SyntaxNode
      if (keyNode && isScalar(keyNode)) key = convert(keyNode, childPath, index, diags)
      else if (keyNode) key = convert(keyNode, childPath, index, diags)
      else key = { kind: 'null', range, path: childPath }
      if (key.kind !== 'string') diags.push(errorDiag('mapping keys must be strings', key.range, key.path))
      const valueNode = pair.value as YamlNode | null
      const value: SyntaxNode = valueNode
        ? convert(valueNode, childPath, index, diags)
        : { kind: 'null', range: { ...key.range, begin: key.range.end }, path: childPath }
      entries.push({ key, value })
    }
    return { kind: 'object', entries, range, path }
  }
  if (isSeq(node)) {
    const elements = node.items.map((item, i) => {
      const childPath = `${path}[${i}]`
      return item
        ? convert(item as YamlNode, childPath, index, diags)
        : ({ kind: 'null', range, path: childPath } as NullNode)
    })
    return { kind: 'array', elements, range, path }
  }
  if (isAlias(node)) {
    diags.push(errorDiag('alias nodes are not supported', range, path))
    return { kind: 'null', range, path }
  }
  const scalar = node as Scalar
  const v = scalar.value
  if (v === null || v === undefined) return { kind: 'null', range, path }
  if (typeof v === 'boolean') return { kind: 'boolean', value: v, range, path }
  if (typeof v === 'number' || typeof v === 'bigint') return { kind: 'number', value: Number(v), range, path }
  const value = String(v)
  const str: StringNode = { kind: 'string', value, range, path }
  if (scalar.type === Scalar.PLAIN && range.begin.line === range.end.line) {
    str.subRange = (start, end) => ({
      environment: range.environment,
      begin: shift(range.begin, value.slice(0, start)),
      end: shift(range.begin, value.slice(0, end)),
    })
  }
  return str
}

function shift(p: Pos, text: string): Pos {
  return { line: p.line, column: p.column + [...text].length, byte: p.byte + utf8Length(text) }
}

/**
 * go-yaml's wording for a flow collection left open (`[a, b` / `{a: 1`): "did not find expected ',' or ']'",
 * on the line of the opening bracket counted from 0, since go-yaml reports its context mark unadjusted
 * (yaml.v3 decode.go :: parser.fail). Undefined for other errors, or when the opener cannot be told.
 */
function unterminatedFlow(source: string, offset: number, message: string): string | undefined {
  const kind = /^Flow (sequence|map) /.exec(message)?.[1]
  if (!kind) return undefined
  const openers: number[] = []
  let quote: string | undefined
  for (let i = 0; i < offset && i < source.length; i++) {
    const c = source[i] as string
    if (quote) {
      if (c === quote && !(quote === '"' && source[i - 1] === '\\')) quote = undefined
      continue
    }
    const prev = source[i - 1]
    const startsValue = openers.length > 0 || prev === undefined || /[\s:-]/.test(prev)
    if ((c === '"' || c === "'") && startsValue) quote = c
    else if (c === '#' && (prev === undefined || /\s/.test(prev))) {
      while (i < source.length && source[i] !== '\n') i++
    } else if ((c === '[' || c === '{') && startsValue) openers.push(i)
    else if ((c === ']' || c === '}') && openers.length > 0) openers.pop()
  }
  const opener = openers.at(-1)
  if (opener === undefined) return undefined
  const line = source.slice(0, opener).split('\n').length - 1
  if (line === 0) return undefined
  return `yaml: line ${line}: did not find expected ',' or '${source[opener] === '[' ? ']' : '}'}'`
}
