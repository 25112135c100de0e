import { parse as parseYaml } from 'yaml'
import {
  arrayDiffLength,
  diffKeys,
  diffValues,
  fromJson,
  isInternalKey,
  isPrimitive,
  type ObjectDiff,
  type PropertyMap,
  type PropertyValue,
  plainValue,
  shouldPrint,
  stableKeys,
  type ValueDiff,
} from './property-value.js'

/** deploy.StepOp values, as stored in events. */
export type StepOp = string

/**
 * The text of a step's properties as the CLI's diff display writes it (pkg/backend/display/object_diff.go ::
 * propertyPrinter). Text is collected with the colour of each write (its step op) so the console can colour lines
 * as the CLI does; `colored` marks where a colour starts.
 */
export class TextSink {
  text = ''
  color(op: StepOp): void {
    this.text += `\uE000${op}\uE001`
  }
  write(s: string): void {
    this.text += s
  }
}

// deploy.RawPrefix
const RAW_PREFIX: Record<string, string> = {
  same: '  ',
  create: '+ ',
  delete: '- ',
  update: '~ ',
  replace: '+-',
  'create-replacement': '++',
  'delete-replaced': '--',
  read: '> ',
  'read-replacement': '>>',
  refresh: '~ ',
  'read-discard': '< ',
  'discard-replaced': '<<',
  import: '= ',
  'import-replacement': '=>',
  'remove-pending-replace': '~ ',
}
export const rawPrefix = (op: StepOp) => RAW_PREFIX[op] ?? '  '

/** object_diff.go :: getIndentationString */
export function indentation(indent: number, op: StepOp, prefix: boolean): string {
  const result = '    '.repeat(indent)
  if (!prefix || result === '') return result
  return result.slice(0, -2) + rawPrefix(op)
}

/** object_diff.go :: writeIndentedf */
export function writeIndented(
  out: TextSink,
  indent: number,
  op: StepOp,
  prefix: boolean,
  text: string,
): void {
  out.color(op)
  out.write(indentation(indent, op, prefix))
  out.write(text)
  out.color('')
}

export class PropertyPrinter {
  constructor(
    readonly out: TextSink,
    readonly indent: number,
    readonly op: StepOp,
    readonly prefix: boolean,
    readonly summary = false,
  ) {}

  indented(amount: number): PropertyPrinter {
    return new PropertyPrinter(this.out, this.indent + amount, this.op, this.prefix, this.summary)
  }
  withOp(op: StepOp): PropertyPrinter {
    return new PropertyPrinter(this.out, this.indent, op, this.prefix, this.summary)
  }
  withPrefix(prefix: boolean): PropertyPrinter {
    return new PropertyPrinter(this.out, this.indent, this.op, prefix, this.summary)
  }

  writeIndented(text: string): void {
    writeIndented(this.out, this.indent, this.op, this.prefix, text)
  }
  writeUnprefixedIndented(text: string): void {
    writeIndented(this.out, this.indent, this.op, false, text)
  }
  writeVerbatim(text: string): void {
    writeIndented(this.out, 0, this.op, false, text)
  }

  printObject(props: PropertyMap): void {
    const keys = stableKeys(props)
    const max = maxKey(keys)
    for (const k of keys) {
      if (!isInternalKey(k)) this.printObjectProperty(k, props.get(k) as PropertyValue, max)
    }
  }

  printObjectProperty(key: string, value: PropertyValue, max: number): void {
    this.printPropertyTitle(key, max)
    this.printPropertyValue(value)
  }

  printPropertyTitle(name: string, align: number): void {
    this.writeIndented(`${name.padEnd(align)}: `)
  }

  printPropertyValue(v: PropertyValue): void {
    this.printPropertyValueRecurse(v)
    this.writeVerbatim('\n')
  }

  printPropertyValueRecurse(v: PropertyValue): void {
    if (isPrimitive(v)) {
      this.printPrimitive(v)
      return
    }
    switch (v.k) {
      case 'array':
        if (v.v.length === 0) {
          this.writeVerbatim('[]')
          return
        }
        this.writeVerbatim('[\n')
        v.v.forEach((elem, i) => {
          this.writeIndented(`    [${i}]: `)
          this.indented(1).printPropertyValue(elem)
        })
        {
          this.writeUnprefixedIndented(']')
          return
        }
      case 'object':
        if (v.v.size === 0) {
          this.writeVerbatim('{}')
          return
        }
        this.writeVerbatim('{\n')
        this.indented(1).printObject(v.v)
        {
          this.writeUnprefixedIndented('}')
          return
        }
      case 'ref':
        this.writeVerbatim('{\n')
        this.indented(1).printResourceReference(v)
        {
          this.writeUnprefixedIndented('}')
          return
        }
      case 'asset': {
        this.printAsset(v.v)
        return
      }
      case 'archive': {
        this.printArchive(v.v)
        return
      }
    }
  }

  printResourceReference(ref: Extract<PropertyValue, { k: 'ref' }>): void {
    this.printPropertyTitle('URN', 3)
    this.writeVerbatim(`${goQuote(ref.urn)}\n`)
    this.printPropertyTitle('ID', 3)
    this.printPropertyValue(ref.id)
    this.printPropertyTitle('PackageVersion', 3)
    this.writeVerbatim(`${goQuote(ref.packageVersion)}\n`)
  }

  printAsset(a: Record<string, unknown>): void {
    const hash = String(a.hash ?? '').slice(0, 7)
    if (typeof a.text === 'string') {
      this.writeVerbatim(`asset(text:${hash}) {\n`)
      for (const line of a.text.split('\n')) this.writeUnprefixedIndented(`    ${line}\n`)
      this.writeUnprefixedIndented('}')
    } else if (typeof a.path === 'string') this.writeVerbatim(`asset(file:${hash}) { ${a.path} }`)
    else if (typeof a.uri === 'string') this.writeVerbatim(`asset(uri:${hash}) { ${a.uri} }`)
    else this.writeVerbatim(`asset(unknown:${hash}) { }`)
  }

  printArchive(a: Record<string, unknown>): void {
    const hash = String(a.hash ?? '').slice(0, 7)
    const assets = a.assets as Record<string, unknown> | undefined
    if (assets && typeof assets === 'object') {
      this.writeVerbatim(`archive(assets:${hash}) {\n`)
      for (const name of Object.keys(assets).sort()) {
        this.writeIndented(`    "${name}": `)
        this.indented(1).printPropertyValue(assetValue(assets[name]))
      }
      this.writeUnprefixedIndented('}')
    } else if (typeof a.path === 'string') this.writeVerbatim(`archive(file:${hash}) { ${a.path} }`)
    else if (typeof a.uri === 'string') this.writeVerbatim(`archive(uri:${hash}) { ${a.uri} }`)
    else this.writeVerbatim(`archive(${hash}) { }`)
  }

  printPrimitive(v: PropertyValue): void {
    switch (v.k) {
      case 'null': {
        this.writeVerbatim('<null>')
        return
      }
      case 'bool': {
        this.writeVerbatim(String(v.v))
        return
      }
      case 'number': {
        this.writeVerbatim(goNumber(v.v))
        return
      }
      case 'string': {
        const decoded = decodeValue(v.v)
        if (decoded) {
          this.writeVerbatim(`(${decoded.kind}) `)
          this.printPropertyValue(decoded.value)
          return
        }
        this.writeVerbatim(goQuote(v.v))
        return
      }
      case 'computed': {
        this.writeVerbatim('[unknown]')
        return
      }
      case 'secret': {
        this.writeVerbatim('[secret]')
        return
      }
    }
  }

  // --- diffs ------------------------------------------------------------------------------------------------------

  printObjectDiff(diff: ObjectDiff, include?: readonly string[]): void {
    const keys = include ? diffKeys(diff).filter((k) => include.includes(k)) : diffKeys(diff)
    const max = maxKey(keys)
    for (const k of keys) this.printObjectPropertyDiff(k, max, diff)
  }

  printObjectPropertyDiff(key: string, max: number, diff: ObjectDiff): void {
    const title = (p: PropertyPrinter) => p.printPropertyTitle(key, max)
    const add = diff.adds.get(key)
    const del = diff.deletes.get(key)
    const update = diff.updates.get(key)
    const same = diff.sames.get(key)
    if (add) this.printAdd(add, title)
    else if (del) this.printDelete(del, title)
    else if (update) this.printPropertyValueDiff(title, update)
    else if (same && !this.summary && shouldPrint(same)) {
      this.withOp('same').withPrefix(false).printObjectProperty(key, same, max)
    }
  }

  printPropertyValueDiff(title: (p: PropertyPrinter) => void, diff: ValueDiff): void {
    const p = this.withOp('update').withPrefix(true)
    if (diff.array) {
      title(p)
      p.writeVerbatim('[\n')
      const a = diff.array
      for (let i = 0; i < arrayDiffLength(a); i++) {
        let elem = p.indented(2)
        const elemTitle = (q: PropertyPrinter) => q.indented(-1).writeIndented(`[${i}]: `)
        const add = a.adds.get(i)
        const del = a.deletes.get(i)
        const update = a.updates.get(i)
        const same = a.sames.get(i)
        if (add) elem.printAdd(add, elemTitle)
        else if (del) elem.printDelete(del, elemTitle)
        else if (update) elem.printPropertyValueDiff(elemTitle, update)
        else if (same && !p.summary) {
          elem = elem.withOp('same').withPrefix(false)
          elemTitle(elem)
          elem.printPropertyValue(same)
        }
      }
      p.writeUnprefixedIndented(']\n')
      return
    }
    if (diff.object) {
      title(p)
      p.writeVerbatim('{\n')
      p.indented(1).printObjectDiff(diff.object)
      p.writeUnprefixedIndented('}\n')
      return
    }
    const printOld = shouldPrint(diff.old)
    const printNew = shouldPrint(diff.new)
    if (printOld && printNew && isPrimitive(diff.old) && isPrimitive(diff.new)) {
      title(p)
      if (diff.old.k === 'string' && diff.new.k === 'string') {
        p.printTextDiff(diff.old.v, diff.new.v)
        return
      }
      p.withOp('delete').printPrimitive(diff.old)
      p.writeVerbatim(' => ')
      p.withOp('create').printPrimitive(diff.new)
      p.writeVerbatim('\n')
      return
    }
    if (printOld) p.printDelete(diff.old, title)
    if (printNew) p.printAdd(diff.new, title)
  }

  printDelete(v: PropertyValue, title: (p: PropertyPrinter) => void): void {
    const p = this.withOp('delete').withPrefix(true)
    title(p)
    p.printPropertyValue(v)
  }

  printAdd(v: PropertyValue, title: (p: PropertyPrinter) => void): void {
    const p = this.withOp('create').withPrefix(true)
    title(p)
    p.printPropertyValue(v)
  }

  /**
   * object_diff.go :: printTextDiff. JSON/YAML strings are compared as values. The CLI marks changed characters
   * (diffmatchpatch) inside `"old" => "new"`; the console shows the whole old and new text, so the line reads the
   * same once colours are removed. Multi-line strings are shown as removed and added lines.
   */
  printTextDiff(old: string, next: string): void {
    if (this.printEncodedValueDiff(old, next)) return
    if (!old.includes('\n') && !next.includes('\n')) {
      this.writeVerbatim('"')
      this.withOp('delete').writeVerbatim(goEscape(old))
      this.writeVerbatim('"')
      this.writeVerbatim(' => ')
      this.writeVerbatim('"')
      this.withOp('create').writeVerbatim(goEscape(next))
      this.writeVerbatim('"\n')
      return
    }
    this.indented(1).printLineDiff(lineDiff(old.split('\n'), next.split('\n')))
  }

  /**
   * object_diff.go :: printLineDiff: changed lines with two lines of unchanged context around them, longer
   * unchanged stretches shown as "...". Blank lines are not printed.
   */
  printLineDiff(chunks: readonly LineChunk[]): void {
    this.writeVerbatim('\n')
    const write = (op: StepOp, text: string) => {
      this.withOp(op)
        .withPrefix(op === 'create' || op === 'delete')
        .writeIndented(text)
    }
    const CONTEXT = 2
    for (const [index, chunk] of chunks.entries()) {
      const lines = chunk.op === 'same' ? chunk.lines.filter((l) => l.trim() !== '') : chunk.lines
      const print = (from: number, to: number) => {
        for (const line of lines.slice(from, to)) {
          if (line.trim() === '') continue
          write(chunk.op, line)
          this.out.write('\n')
        }
      }
      if (chunk.op !== 'same') {
        print(0, lines.length)
        continue
      }
      if (index === 0 && lines.length > CONTEXT + 1) {
        write('same', '...\n')
        print(lines.length - CONTEXT, lines.length)
        continue
      }
      if (index === chunks.length - 1 && index !== 0 && lines.length > CONTEXT + 1) {
        print(0, CONTEXT)
        write('same', '...\n')
        continue
      }
      if (index !== 0 && index !== chunks.length - 1 && lines.length > 2 * CONTEXT + 1) {
        print(0, CONTEXT)
        write('same', '...\n')
        print(lines.length - CONTEXT, lines.length)
        continue
      }
      print(0, lines.length)
    }
  }

  printEncodedValueDiff(old: string, next: string): boolean {
    const a = decodeValue(old)
    const b = decodeValue(next)
    if (!a || !b) return false
    const diff = diffValues(a.value, b.value)
    if (!diff) {
      this.printTextDiff(goQuote(old), goQuote(next))
      return true
    }
    this.writeVerbatim(a.kind === b.kind ? `(${a.kind}) ` : `(${a.kind} => ${b.kind}) `)
    this.printPropertyValueDiff(() => {}, diff)
    return true
  }
}

function assetValue(value: unknown): PropertyValue {
  try {
    return fromJson(value)
  } catch {
    return { k: 'secret' }
  }
}

export function maxKey(keys: readonly string[]): number {
  return keys.reduce((max, k) => Math.max(max, k.length), 0)
}

/** object_diff.go :: decodeValue: a string holding a JSON (or multi-line YAML) object or array. */
function decodeValue(repr: string): { value: PropertyValue; kind: 'json' | 'yaml' } | undefined {
  const text = repr.trim()
  let value: unknown
  let kind: 'json' | 'yaml' = 'json'
  try {
    value = JSON.parse(text)
  } catch {
    if (!/[\r\n]/.test(text)) return undefined
    try {
      value = parseYaml(text, { logLevel: 'error' })
      kind = 'yaml'
    } catch {
      return undefined
    }
  }
  if (value === null || typeof value !== 'object') return undefined
  return { value: plainValue(value), kind }
}

/** A run of unchanged, removed or added lines. */
export interface LineChunk {
  op: 'same' | 'delete' | 'create'
  lines: string[]
}

/**
 * A line diff (longest common subsequence) in chunks, removals before additions within a change, as
 * diffmatchpatch's line mode gives them.
 */
function lineDiff(old: readonly string[], next: readonly string[]): LineChunk[] {
  const n = old.length
  const m = next.length
  const ops: LineChunk[] = []
  const push = (op: LineChunk['op'], line: string) => {
    const last = ops[ops.length - 1]
    if (last?.op === op) last.lines.push(line)
    else ops.push({ op, lines: [line] })
  }
  if (n * m > 4_000_000) {
    for (const line of old) push('delete', line)
    for (const line of next) push('create', line)
    return ops
  }
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1))
  const at = (i: number, j: number) => (lcs[i] as Uint32Array)[j] as number
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      ;(lcs[i] as Uint32Array)[j] =
        old[i] === next[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1))
    }
  }
  let i = 0
  let j = 0
  let removed: string[] = []
  let added: string[] = []
  const flush = () => {
    for (const line of removed) push('delete', line)
    for (const line of added) push('create', line)
    removed = []
    added = []
  }
  while (i < n || j < m) {
    if (i < n && j < m && old[i] === next[j]) {
      flush()
      push('same', old[i] as string)
      i++
      j++
    } else if (i < n && (j === m || at(i + 1, j) >= at(i, j + 1))) {
      removed.push(old[i] as string)
      i++
    } else {
      added.push(next[j] as string)
      j++
    }
  }
  flush()
  return ops
}

/** Go's %.f for whole numbers and %g otherwise (strconv 'g' with the shortest precision). */
export function goNumber(n: number): string {
  if (Number.isInteger(n)) return Math.abs(n) < 1e21 ? n.toFixed(0) : BigInt(n).toString()
  const exp = Math.floor(Math.log10(Math.abs(n)))
  if (exp < -4 || exp >= 6) {
    const [mantissa, e] = n.toExponential().split('e') as [string, string]
    const sign = e.startsWith('-') ? '-' : '+'
    return `${mantissa}e${sign}${e.replace(/^[+-]/, '').padStart(2, '0')}`
  }
  return String(n)
}

/** Go's strconv.Quote. */
export function goQuote(s: string): string {
  return `"${goEscape(s)}"`
}

const ESCAPES: Record<string, string> = {
  '\u0007': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
}

export function goEscape(s: string): string {
  let out = ''
  for (const ch of s) {
    const code = ch.codePointAt(0) as number
    const escaped = ESCAPES[ch]
    if (escaped) out += escaped
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else if ((code >= 0x80 && code < 0xa0) || code === 0x2028 || code === 0x2029 || code === 0xfeff) {
      out += `\\u${code.toString(16).padStart(4, '0')}`
    } else out += ch
  }
  return out
}
