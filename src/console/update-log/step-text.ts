import {
  indentation,
  maxKey,
  PropertyPrinter,
  rawPrefix,
  type StepOp,
  TextSink,
  writeIndented,
} from './property-printer.js'
import {
  anyChanges,
  deepEquals as deepEqualsValue,
  diffKeys,
  diffMaps,
  diffValues,
  emptyArrayDiff,
  emptyObjectDiff,
  isInternalKey,
  mapFromJson,
  NULL,
  type ObjectDiff,
  type PropertyMap,
  type PropertyValue,
  shouldPrint,
  stableKeys,
  type ValueDiff,
} from './property-value.js'

/** apitype.StepEventStateMetadata, as stored. */
export interface StateMetadata {
  id?: string
  parent?: string
  provider?: string
  protect?: boolean
  retainOnDelete?: boolean
  inputs?: Record<string, unknown>
  outputs?: Record<string, unknown>
  initErrors?: string[]
}

/** apitype.StepEventMetadata, as stored. */
export interface StepMetadata {
  op?: string
  urn?: string
  type?: string
  old?: StateMetadata | null
  new?: StateMetadata | null
  provider?: string
  diffs?: string[]
  detailedDiff?: Record<string, { kind?: string; inputDiff?: boolean }> | null
}

/** A step with its property maps deserialized once. */
export interface Step {
  op: StepOp
  urn: string
  type: string
  provider: string
  old: (StateMetadata & { ins: PropertyMap; outs: PropertyMap }) | undefined
  new: (StateMetadata & { ins: PropertyMap; outs: PropertyMap }) | undefined
  detailedDiff: StepMetadata['detailedDiff']
  diffs: string[]
  /** A preview's step: outputs are not final. */
  planning: boolean
}

export function stepOf(md: StepMetadata, planning = false): Step {
  const state = (s: StateMetadata | null | undefined) =>
    s ? { ...s, ins: mapFromJson(s.inputs), outs: mapFromJson(s.outputs) } : undefined
  return {
    op: md.op ?? 'same',
    urn: md.urn ?? '',
    type: md.type ?? '',
    provider: md.provider ?? '',
    old: state(md.old),
    new: state(md.new),
    detailedDiff: md.detailedDiff,
    diffs: md.diffs ?? [],
    planning,
  }
}

const ROOT_STACK = 'pulumi:pulumi:Stack'

/** object_diff.go :: getResourcePropertiesSummary: the step's header, [id=…], [urn=…] and [provider=…]. */
export function writeSummary(out: TextSink, step: Step, indent: number): void {
  out.write(indentation(indent, step.op, false))
  out.color(step.op)
  out.write(rawPrefix(step.op))
  const old = step.old
  const nu = step.new
  let extra = ''
  if (nu && !nu.protect && old?.protect) extra = ' 🔓'
  else if (nu?.protect || old?.protect) extra = ' 🔒'
  const retain =
    old?.retainOnDelete && ['delete', 'replace', 'create-replacement', 'delete-replaced'].includes(step.op)
      ? '[retain]'
      : ''
  out.write(`${step.type}: (${step.op}${retain})${extra}\n`)
  const simple = ['create', 'delete', 'delete-replaced', 'read-discard', 'discard-replaced'].includes(step.op)
    ? step.op
    : 'same'
  if (old?.id) writeIndented(out, indent + 1, simple, false, `[id=${old.id}]\n`)
  if (step.urn) writeIndented(out, indent + 1, simple, false, `[urn=${step.urn}]\n`)
  if (step.provider) {
    if (old && nu && old.provider !== nu.provider) {
      writeIndented(out, indent + 1, 'update', false, '[provider: ')
      writeIndented(out, 0, 'delete', false, old.provider ?? '')
      writeIndented(out, 0, 'update', false, ' => ')
      const unknown = nu.provider?.endsWith('::04da6b54-80e4-46f7-96ec-b56ff0331ba9')
      writeIndented(
        out,
        0,
        'create',
        false,
        unknown ? `${(nu.provider ?? '').replace(/::[^:]*$/, '')}::[unknown]` : (nu.provider ?? ''),
      )
      writeIndented(out, 0, 'update', false, ']\n')
    } else if (providerName(step.provider) !== 'default') {
      // Default providers are elided (providers.ParseReference(...).URN().Name()).
      writeIndented(out, indent + 1, simple, false, `[provider=${step.provider}]\n`)
    }
  }
}

// A provider reference is `<urn>::<id>`; the URN's name is its last `::` part before the id.
function providerName(reference: string): string {
  const urn = reference.slice(0, reference.lastIndexOf('::'))
  return urn.slice(urn.lastIndexOf('::') + 2)
}

/** diff.go :: renderDiff's details: the property bodies under a changed step. */
export function writeDetails(out: TextSink, step: Step, indent: number): void {
  if (step.op === 'same') return
  if (step.detailedDiff) {
    const diff = translateDetailedDiff(step)
    if (diff) new PropertyPrinter(out, indent + 1, '', true).printObjectDiff(diff)
    else new PropertyPrinter(out, indent + 1, 'same', true).printObject(step.old?.ins ?? new Map())
    return
  }
  const at = indent + 1
  const { old, new: nu } = step
  if (!old && nu) {
    new PropertyPrinter(out, at, step.op, false).printObject(nu.outs.size > 0 ? nu.outs : nu.ins)
  } else if (old && !nu) {
    new PropertyPrinter(out, at, step.op, false).printObject(old.ins)
  } else if (old && nu) {
    if (nu.outs.size > 0 && step.op !== 'import' && step.op !== 'import-replacement') {
      printOldNewDiffs(out, old.outs, nu.outs, at)
    } else {
      // Only the keys the engine reported as changed, when it reported any.
      printOldNewDiffs(out, old.ins, nu.ins, at, step.diffs.length > 0 ? step.diffs : undefined)
    }
  }
}

function printOldNewDiffs(
  out: TextSink,
  olds: PropertyMap,
  news: PropertyMap,
  indent: number,
  include?: readonly string[],
): void {
  const diff = diffMaps(olds, news)
  if (diff) new PropertyPrinter(out, indent, '', true).printObjectDiff(diff, include)
  else new PropertyPrinter(out, indent, 'same', true).printObject(news)
}

/**
 * object_diff.go :: getResourceOutputsPropertiesString (a completed update, same resources shown): the outputs
 * that differ from the inputs, or from the previous outputs.
 */
export function writeOutputs(out: TextSink, step: Step, indent: number): void {
  // A preview knows the outputs only of reads, imports and the stack itself.
  const final = ['refresh', 'read', 'read-replacement', 'import', 'import-replacement'].includes(step.op)
  if (step.planning && !final && !isRootStack(step)) return
  if (step.old?.initErrors?.length) return
  const ins = step.new?.ins ?? new Map<string, PropertyValue>()
  const outs = step.new?.outs ?? new Map<string, PropertyValue>()
  const outputDiff = step.old?.outputs ? diffMaps(step.old.outs, outs) : undefined
  if (step.planning && isRootStack(step)) massageOutputDiff(outputDiff)
  const keys = outputDiff ? diffKeys(outputDiff) : stableKeys(outs)
  const max = maxKey(keys)
  const sink = new TextSink()
  const p = new PropertyPrinter(sink, indent + 1, step.op, false)
  for (const k of keys) {
    const value = outs.get(k) ?? NULL
    if (!outputDiff && (isInternalKey(k) || !shouldPrint(value))) continue
    // An output equal to its input says nothing new.
    const input = ins.get(k)
    if (input && !diffValues(value, input)) continue
    if (outputDiff) p.printObjectPropertyDiff(k, max, outputDiff)
    else p.printObjectProperty(k, value, max)
  }
  if (sink.text === '') return
  out.color(step.op)
  out.write(indentation(indent + 1, step.op, false))
  out.write('--outputs:--')
  out.color('')
  out.write('\n')
  out.write(sink.text)
}

const RESOURCE_MARK = '@isPulumiResource'

/**
 * object_diff.go :: massageStackPreviewOutputDiff: in a preview, resources among the stack's outputs are not
 * shown as gaining their marker key or unknown values.
 */
function massageOutputDiff(diff: ObjectDiff | undefined): void {
  if (!diff) return
  const isResource = diff.adds.has(RESOURCE_MARK)
  if (isResource) {
    diff.adds.delete(RESOURCE_MARK)
    for (const [k, v] of diff.adds) if (v.k === 'computed') diff.adds.delete(k)
  }
  for (const [k, v] of diff.adds) diff.adds.set(k, massageAdd(v))
  for (const [k, d] of diff.updates) {
    if (isResource && d.new.k === 'computed' && !shouldPrint(d.old)) {
      diff.updates.delete(k)
      continue
    }
    massageValueDiff(d)
    const unchanged = !anyChanges(d.object) && deepEqualsValue(d.old, d.new)
    if (unchanged || d.new.k === 'computed') diff.updates.delete(k)
  }
}

function massageValueDiff(diff: ValueDiff): void {
  if (diff.array) {
    for (const [i, v] of diff.array.adds) diff.array.adds.set(i, massageAdd(v))
    for (const d of diff.array.updates.values()) massageValueDiff(d)
  } else if (diff.object) massageOutputDiff(diff.object)
}

function massageAdd(v: PropertyValue): PropertyValue {
  if (v.k === 'array') return { k: 'array', v: v.v.map(massageAdd) }
  if (v.k === 'object') {
    return {
      k: 'object',
      v: new Map([...v.v].filter(([k]) => k !== RESOURCE_MARK).map(([k, x]) => [k, massageAdd(x)])),
    }
  }
  return v
}

/**
 * pkg/engine/detailedDiff.go :: TranslateDetailedDiff: the provider's detailed diff (property paths and kinds) as
 * an object diff; old values from the old outputs (inputs when inputDiff), new values from the new inputs.
 */
function translateDetailedDiff(step: Step): ObjectDiff | undefined {
  const root: ValueDiff = { old: NULL, new: NULL }
  for (const [path, d] of Object.entries(step.detailedDiff ?? {})) {
    const olds: PropertyValue = {
      k: 'object',
      v: (d.inputDiff ? step.old?.ins : step.old?.outs) ?? new Map(),
    }
    const news: PropertyValue = { k: 'object', v: step.new?.ins ?? new Map() }
    addDiff(parsePropertyPath(path), d.kind ?? 'update', root, olds, news)
  }
  return root.object
}

function getProperty(key: string | number, v: PropertyValue): PropertyValue | undefined {
  if (v.k === 'array') return typeof key === 'number' ? v.v[key] : undefined
  if (v.k === 'object') return typeof key === 'string' ? v.v.get(key) : undefined
  if (v.k === 'computed' || v.k === 'secret') return v
  return undefined
}

function addDiff(
  path: (string | number)[],
  kind: string,
  parent: ValueDiff,
  oldParent: PropertyValue,
  newParent: PropertyValue,
): void {
  const [element, ...rest] = path
  if (element === undefined) return
  const old = getProperty(element, oldParent)
  const nu = getProperty(element, newParent)
  const orUnknown = (v: PropertyValue | undefined): PropertyValue => v ?? { k: 'computed' }
  const leaf = (): ValueDiff => diffValues(old ?? NULL, nu ?? NULL) ?? { old: old ?? NULL, new: nu ?? NULL }
  if (typeof element === 'number') parent.array ??= emptyArrayDiff()
  else parent.object ??= emptyObjectDiff()
  const container = (typeof element === 'number' ? parent.array : parent.object) as ObjectDiff
  const key = element as never
  if (rest.length === 0) {
    if (kind.startsWith('add')) container.adds.set(key, orUnknown(nu))
    else if (kind.startsWith('delete')) container.deletes.set(key, orUnknown(old))
    else container.updates.set(key, leaf())
    return
  }
  const oldNull = !old || old.k === 'null'
  const newNull = !nu || nu.k === 'null'
  if (oldNull && !newNull) container.adds.set(key, nu as PropertyValue)
  else if (!oldNull && newNull) container.deletes.set(key, old as PropertyValue)
  else {
    const existing = (container.updates.get(key) as ValueDiff | undefined) ?? { old: NULL, new: NULL }
    addDiff(rest, kind, existing, old ?? NULL, nu ?? NULL)
    container.updates.set(key, existing)
  }
}

/** resource.ParsePropertyPath: `a.b[0]["c.d"]`; an unparsable path is one key. */
export function parsePropertyPath(path: string): (string | number)[] {
  const out: (string | number)[] = []
  let i = 0
  let key = ''
  const flush = () => {
    if (key !== '') out.push(key)
    key = ''
  }
  while (i < path.length) {
    const c = path[i] as string
    if (c === '.') {
      flush()
      i++
    } else if (c === '[') {
      flush()
      const end = path.indexOf(']', i)
      if (end < 0) return [path]
      const inner = path.slice(i + 1, end)
      if (/^\d+$/.test(inner)) out.push(Number(inner))
      else if (inner.startsWith('"')) {
        try {
          out.push(JSON.parse(inner) as string)
        } catch {
          return [path]
        }
      } else if (inner === '*') out.push('*')
      else return [path]
      i = end + 1
    } else {
      key += c
      i++
    }
  }
  flush()
  return out
}

export const isRootStack = (step: Step) => step.type === ROOT_STACK
