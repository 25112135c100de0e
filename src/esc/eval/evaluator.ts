// The ESC evaluator: imports merged in order, values, `${...}` references resolved lazily with cycle detection,
// built-ins, and providers behind one interface. Mirrors the semantics of pulumi/esc eval/eval.go; no I/O of its own
// (environments, providers and decryption come in through the interfaces below). All work is bounded by `limits`.
import {
  type Accessor,
  accessPath,
  type EnvironmentDecl,
  type Expr,
  exprError,
  parseEnvironment,
} from './ast.js'
import { decodeCiphertext } from './ciphertext.js'
import { type Diagnostic, errorDiag, hasErrors, SEVERITY_WARNING, sortDiagnostics } from './diagnostics.js'
import { type EscExpr, exportDecl } from './expr-export.js'
import {
  always,
  arrayOf,
  itemSchema,
  mergedSchema,
  never,
  propertySchema,
  record,
  type Schema,
  stringSchema,
  tuple,
} from './schema.js'
import { joinKey, parseYamlSyntax } from './syntax.js'
import { Validator } from './validate.js'
import { copyValue, type Decl, type EscValue, fromJSON, syntheticDecl, toJSON, Value } from './value.js'

export interface Decrypter {
  decrypt(ciphertext: Uint8Array): Promise<Uint8Array>
}

/** Loads an imported environment's definition; throws an Error whose message becomes the diagnostic. */
export interface EnvironmentLoader {
  loadEnvironment(name: string): Promise<LoadedEnvironment>
}

export interface LoadedEnvironment {
  source: string
  decrypter: Decrypter
  /** Identifies immutable source text (e.g. environment id and revision), so its parse can be reused. */
  cacheKey?: string
}

/** Parsed definitions by LoadedEnvironment.cacheKey (parsing is pure; the text of a key never changes). */
export interface DefinitionCache {
  get(key: string): ReturnType<typeof loadDefinition> | undefined
  set(key: string, value: ReturnType<typeof loadDefinition>): void
}

export interface ExecContext {
  /** `context.*` values such as `pulumi.user.login`. */
  values: Record<string, EscValue>
  rootEnvironment?: string
}

export interface EscProvider {
  inputSchema(): Schema
  outputSchema(): Schema
  open(inputs: Record<string, EscValue>, context: ExecContext): Promise<EscValue>
}

export interface EscRotator {
  inputSchema(): Schema
  stateSchema(): Schema
  outputSchema(): Schema
  open(
    inputs: Record<string, EscValue>,
    state: Record<string, EscValue> | undefined,
    context: ExecContext,
  ): Promise<EscValue>
  /** The new state (plain strings; stored as secrets), for `POST …/rotate`. Absent: this rotator cannot rotate. */
  rotate?(
    inputs: Record<string, EscValue>,
    state: Record<string, EscValue> | undefined,
  ): Promise<Record<string, string>>
}

/** Resolves `fn::open::<name>` and `fn::rotate::<name>`; throws an Error whose message becomes the diagnostic. */
export interface ProviderLoader {
  loadProvider(name: string): Promise<EscProvider>
  loadRotator(name: string): Promise<EscRotator>
}

export interface EvalLimits {
  /** Expression evaluations and value copies per evaluation. */
  maxSteps: number
  /** Characters in any one computed string. */
  maxStringLength: number
  /** Imported environments per evaluation. */
  maxImports: number
}

export const DEFAULT_LIMITS: EvalLimits = { maxSteps: 200_000, maxStringLength: 1 << 20, maxImports: 200 }

export interface EvalOptions {
  /** check: providers are not opened and secrets stay unknown unless showSecrets. */
  validating: boolean
  showSecrets?: boolean
  decrypter: Decrypter
  providers: ProviderLoader
  environments: EnvironmentLoader
  execContext: ExecContext
  limits?: EvalLimits
  definitions?: DefinitionCache
}

export interface EvaluatedEnvironment {
  exprs: Record<string, EscExpr>
  properties: Record<string, EscValue>
  schema: Schema
  executionContext: { properties: Record<string, EscValue>; schema: Schema }
}

export interface EvalResult {
  environment?: EvaluatedEnvironment
  diags: Diagnostic[]
}

export const ANONYMOUS_ENVIRONMENT = '<yaml>'

/** Parses a definition: YAML errors, then the environment record and expression diagnostics. */
export function loadDefinition(name: string, source: string): { env?: EnvironmentDecl; diags: Diagnostic[] } {
  let parsed: ReturnType<typeof parseYamlSyntax>
  try {
    parsed = parseYamlSyntax(name, source)
  } catch (err) {
    if (err instanceof RangeError)
      return { diags: [errorDiag('the document is nested too deeply', undefined, '')] }
    throw err
  }
  if (!parsed.root || hasErrors(parsed.diags)) return { diags: parsed.diags }
  const { env, diags } = parseEnvironment(parsed.root)
  return { env, diags: [...parsed.diags, ...diags] }
}

class BudgetExceeded extends Error {}

interface Shared {
  imports: Map<string, { evaluating: boolean; value?: Value }>
  steps: number
  limits: EvalLimits
  diags: Diagnostic[]
}

interface DeclTree extends Decl {
  props?: Map<string, DeclTree>
  elems?: DeclTree[]
  args?: Partial<Record<'a' | 'b' | 'c', DeclTree>>
  missing?: boolean
}

/** Evaluates (or, with validating, checks) a parsed environment. */
export async function evaluateEnvironment(
  name: string,
  env: EnvironmentDecl | undefined,
  options: EvalOptions,
): Promise<EvalResult> {
  if (!env || (env.values.length === 0 && env.imports.length === 0)) return { diags: [] }
  const shared: Shared = { imports: new Map(), steps: 0, limits: options.limits ?? DEFAULT_LIMITS, diags: [] }
  const ctx = new EvalContext(name, env, options, options.decrypter, shared, true)
  let value: Value
  try {
    value = await ctx.evaluate()
  } catch (err) {
    if (!(err instanceof BudgetExceeded) && !(err instanceof RangeError)) throw err
    // A RangeError is the call stack running out on a pathologically nested document.
    const summary = err instanceof BudgetExceeded ? err.message : 'the document is nested too deeply'
    shared.diags.push(errorDiag(summary, undefined, ''))
    return { diags: sortDiagnostics(shared.diags) }
  }
  let properties: Record<string, EscValue>
  let contextProperties: Record<string, EscValue>
  try {
    properties = (value.export(name).value ?? {}) as Record<string, EscValue>
    contextProperties = (ctx.myContext.export(name).value ?? {}) as Record<string, EscValue>
  } catch (err) {
    if (!(err instanceof RangeError)) throw err
    return {
      diags: sortDiagnostics([
        ...shared.diags,
        errorDiag('the document is nested too deeply', undefined, ''),
      ]),
    }
  }
  const root = ctx.rootDecl()
  const exprs = root ? (exportDecl(root, name).object ?? {}) : {}
  return {
    environment: {
      exprs,
      properties,
      schema: value.base ? mergedSchema(value.base.schema, value.schema) : value.schema,
      executionContext: { properties: contextProperties, schema: ctx.myContext.schema },
    },
    diags: sortDiagnostics(shared.diags),
  }
}

/** Parses and evaluates in one step (what `yaml/open` and `yaml/check` do). */
export async function evaluateSource(
  name: string,
  source: string,
  options: EvalOptions,
): Promise<EvalResult> {
  const loaded = loadDefinition(name, source)
  // Like ESC, a definition with expression errors is still evaluated as far as it goes; only YAML errors stop here.
  if (!loaded.env) return { diags: sortDiagnostics(loaded.diags) }
  const result = await evaluateEnvironment(name, loaded.env, options)
  return { environment: result.environment, diags: sortDiagnostics([...loaded.diags, ...result.diags]) }
}

/** Environment JSON as `pulumi env open` prints it. */
export function propertiesToJSON(
  properties: Record<string, EscValue>,
  redact: boolean,
): Record<string, unknown> {
  return toJSON({ value: properties }, redact) as Record<string, unknown>
}

function contextFor(exec: ExecContext, envName: string): ExecContext {
  const root =
    !exec.rootEnvironment || exec.rootEnvironment === ANONYMOUS_ENVIRONMENT ? envName : exec.rootEnvironment
  return {
    rootEnvironment: root,
    values: {
      ...exec.values,
      currentEnvironment: { value: { name: { value: envName } } },
      rootEnvironment: { value: { name: { value: root } } },
    },
  }
}

function asEscMap(v: EscValue): Record<string, EscValue> | undefined {
  const inner = v.value
  return inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? inner : undefined
}

class EvalContext {
  private readonly exec: ExecContext
  myContext!: Value
  private myImports!: Value
  private root!: DeclTree
  private base?: Value

  constructor(
    private readonly name: string,
    private readonly env: EnvironmentDecl,
    private readonly options: EvalOptions,
    private readonly decrypter: Decrypter,
    private readonly shared: Shared,
    private readonly isRoot: boolean,
  ) {
    this.exec = contextFor(options.execContext, name)
  }

  private get diags(): Diagnostic[] {
    return this.shared.diags
  }

  private step(n = 1): void {
    this.shared.steps += n
    if (this.shared.steps > this.shared.limits.maxSteps) {
      throw new BudgetExceeded(
        `evaluation exceeded ${this.shared.limits.maxSteps} steps; simplify the environment`,
      )
    }
  }

  private copy(v: Value): Value {
    const memo = new Map<Value, Value>()
    const copied = copyValue(v, memo) as Value
    this.step(memo.size)
    return copied
  }

  rootDecl(): DeclTree | undefined {
    return this.root
  }

  async evaluate(): Promise<Value> {
    const mine = { evaluating: true, value: undefined as Value | undefined }
    this.shared.imports.set(this.name, mine)
    try {
      this.myContext = unexport({ value: this.exec.values }, syntheticDecl('context'))
      await this.evaluateImports()
      const props = new Map<string, DeclTree>()
      this.root = {
        ...syntheticDecl(`<${this.name}>`, { kind: 'object', entries: [] }),
        state: 'pending',
        props,
        base: this.base,
      }
      for (const { key, value } of this.env.values) {
        const k = key.value
        if (k === 'imports' || k === 'context' || k === 'environments') {
          this.diags.push(exprError(key, `"${k}" is a reserved key`))
        } else if (props.has(k)) {
          this.diags.push(exprError(key, `duplicate key "${k}"`))
        } else {
          props.set(k, this.declare(k, value, this.base?.property(k)))
        }
      }
      const v = await this.evaluateDecl(this.root, always())
      mine.value = v
      return v
    } finally {
      mine.evaluating = false
    }
  }

  private async evaluateImports(): Promise<void> {
    const mine = new Map<string, Value>()
    for (const decl of this.env.imports) {
      if (!decl.environment) continue
      const name = decl.environment.value
      const v = await this.evaluateImport(decl.environment, name)
      if (!v) continue
      mine.set(name, v)
      if (decl.merge) {
        const layered = this.copy(v)
        layered.merge(this.base)
        this.base = layered
      }
    }
    const schemas: Record<string, Schema> = {}
    for (const [k, v] of mine) schemas[k] = v.schema
    this.myImports = new Value(syntheticDecl('imports'), record(schemas), mine)
  }

  private async evaluateImport(at: Expr, name: string): Promise<Value | undefined> {
    const known = this.shared.imports.get(name)
    if (known) {
      if (known.evaluating) {
        this.diags.push(exprError(at, `cyclic import of ${name}`))
        return undefined
      }
      return known.value
    }
    if (this.shared.imports.size >= this.shared.limits.maxImports) {
      this.diags.push(
        exprError(at, `too many imported environments (at most ${this.shared.limits.maxImports})`),
      )
      return undefined
    }
    let loaded: LoadedEnvironment
    try {
      loaded = await this.options.environments.loadEnvironment(name)
    } catch (err) {
      this.diags.push(exprError(at, err instanceof Error ? err.message : String(err)))
      return undefined
    }
    const key = loaded.cacheKey
    let parsed = key ? this.options.definitions?.get(key) : undefined
    if (!parsed) {
      parsed = loadDefinition(name, loaded.source)
      if (key) this.options.definitions?.set(key, parsed)
    }
    const { env, diags } = parsed
    this.diags.push(...diags)
    if (hasErrors(diags) || !env) return undefined
    const child = new EvalContext(
      name,
      env,
      { ...this.options, execContext: this.exec },
      loaded.decrypter,
      this.shared,
      false,
    )
    return child.evaluate()
  }

  private declare(path: string, x: Expr | undefined, base?: Value): DeclTree {
    this.step()
    const d: DeclTree = { path, expr: x, base, schema: always(), secret: false, state: 'pending' }
    if (!x) {
      d.missing = true
      return d
    }
    switch (x.kind) {
      case 'null':
        d.schema = { type: 'null' }
        break
      case 'boolean':
        d.schema = { type: 'boolean', const: x.value }
        break
      case 'number':
        d.schema = { type: 'number', const: x.value }
        break
      case 'string':
        d.schema = { type: 'string', const: x.value }
        break
      case 'interpolate':
        d.schema = stringSchema()
        break
      case 'array':
        d.elems = x.elements.map((e, i) => this.declare(`${path}[${i}]`, e))
        d.schema = arrayOf(always())
        break
      case 'object': {
        d.props = new Map()
        for (const entry of x.entries) {
          if (!entry.key) continue
          const k = entry.key.value
          if (d.props.has(k)) this.diags.push(exprError(entry.key, `duplicate key "${k}"`))
          else d.props.set(k, this.declare(joinKey(path, k), entry.value, base?.property(k)))
        }
        d.schema = { type: 'object', additionalProperties: always() }
        break
      }
      case 'secret': {
        const inner = this.declare('', x.plaintext ?? x.ciphertext)
        inner.secret = true
        d.args = { a: inner }
        d.schema = stringSchema()
        break
      }
      case 'open':
        d.args = { a: this.declare('', x.inputs) }
        break
      case 'rotate':
        d.args = { a: this.declare('', x.inputs), b: this.declare('', x.state) }
        break
      case 'join':
      case 'split':
        d.args = { a: this.declare('', x.delimiter), b: this.declare('', x.operand) }
        break
      case 'validate':
        d.args = { a: this.declare('', x.schema), b: this.declare('', x.value) }
        break
      case 'symbol':
        break
      default:
        d.args = { a: this.declare('', x.value) }
    }
    return d
  }

  private async evaluateDecl(x: DeclTree, accept: Schema): Promise<Value> {
    if (x.state === 'done' && x.value) return x.value
    if (x.state === 'evaluating') {
      this.diags.push(exprError(x.expr, `cyclic reference to ${x.path}`))
      const v = new Value(x, always())
      v.unknown = true
      return v
    }
    this.step()
    if (accept.isRotateOnly && (!this.options.validating || !this.isRoot)) {
      // Rotate-only inputs are evaluated only when rotating (or checking the root environment).
      const skipped = this.unknown({ ...syntheticDecl(x.path), base: x.base }, always())
      skipped.rotateOnly = true
      return skipped
    }
    x.state = 'evaluating'
    try {
      if (x.base?.final) {
        this.diags.push({ ...exprError(x.expr, 'cannot override final value'), severity: SEVERITY_WARNING })
        x.schema = x.base.schema
        x.value = x.base
        return x.base
      }
      const v = await this.evaluateKind(x, accept)
      if (accept.isRotateOnly) v.rotateOnly = true
      if (x.secret) v.secret = true
      v.merge(x.base)
      x.schema = v.schema
      x.value = v
      return v
    } finally {
      x.state = 'done'
    }
  }

  private unknown(x: DeclTree, schema: Schema = x.schema): Value {
    const v = new Value(x, schema)
    v.unknown = true
    return v
  }

  private async evaluateKind(x: DeclTree, accept: Schema): Promise<Value> {
    const e = x.expr
    if (!e || x.missing) return this.unknown(x)
    switch (e.kind) {
      case 'null':
        return new Value(x, x.schema, null)
      case 'boolean':
      case 'number':
      case 'string':
        return new Value(x, x.schema, e.value)
      case 'interpolate':
        return this.evaluateInterpolate(x, e.parts)
      case 'symbol':
        return this.evaluatePropertyAccess(x, e.access, accept)
      case 'array': {
        const elems = x.elems ?? []
        const values: Value[] = []
        for (let i = 0; i < elems.length; i++)
          values.push(await this.evaluateDecl(elems[i] as DeclTree, itemSchema(accept, i)))
        return new Value(x, tuple(values.map((v) => v.schema)), values)
      }
      case 'object': {
        const props = x.props ?? new Map<string, DeclTree>()
        const out = new Map<string, Value>()
        const schemas: Record<string, Schema> = {}
        for (const k of [...props.keys()].sort()) {
          const v = await this.evaluateDecl(props.get(k) as DeclTree, propertySchema(accept, k))
          out.set(k, v)
          schemas[k] = v.schema
        }
        return new Value(x, record(schemas), out)
      }
      case 'secret':
        return this.evaluateSecret(x, e.ciphertext?.value)
      case 'open':
        return this.evaluateOpen(x, e.provider?.value)
      case 'rotate':
        return this.evaluateRotate(x, e.provider?.value)
      case 'concat':
        return this.evaluateConcat(x)
      case 'join':
      case 'split':
        return e.kind === 'join' ? this.evaluateJoin(x) : this.evaluateSplit(x)
      case 'toJSON':
        return this.evaluateToJSON(x)
      case 'fromJSON':
        return this.evaluateFromJSON(x)
      case 'toString': {
        const inner = await this.evaluateDecl(this.arg(x, 'a'), always())
        const t = inner.toText()
        const v = new Value(x, stringSchema(), t.unknown ? null : this.checkedString(x, t.text))
        v.unknown = t.unknown
        v.secret = t.secret
        return v
      }
      case 'toBase64':
      case 'fromBase64':
        return this.evaluateBase64(x, e.kind === 'toBase64')
      case 'final': {
        const inner = await this.evaluateDecl(this.arg(x, 'a'), always())
        const v = new Value(x, inner.schema, inner.repr)
        v.final = true
        v.combine(inner)
        return v
      }
      case 'validate':
        return this.evaluateValidate(x)
    }
  }

  private arg(x: DeclTree, which: 'a' | 'b'): DeclTree {
    return x.args?.[which] ?? { ...syntheticDecl(''), state: 'pending', missing: true }
  }

  private checkedString(x: DeclTree, s: string): string {
    if (s.length > this.shared.limits.maxStringLength) {
      throw new BudgetExceeded(
        `${x.expr?.node?.path ?? 'a value'}: string longer than ${this.shared.limits.maxStringLength} characters`,
      )
    }
    this.step(Math.ceil(s.length / 4096))
    return s
  }

  /** Evaluates a built-in's argument and checks it against the type the built-in expects. */
  private async typed(x: DeclTree, accept: Schema): Promise<{ v: Value; ok: boolean }> {
    const v = await this.evaluateDecl(x, accept)
    const validator = new Validator(accept)
    const ok = validator.validate(v, accept)
    this.diags.push(...validator.diags)
    return { v, ok }
  }

  private async evaluateInterpolate(
    x: DeclTree,
    parts: { text: string; access?: Accessor[] }[],
  ): Promise<Value> {
    const v = new Value(x, x.schema)
    let out = ''
    for (const part of parts) {
      out += part.text
      if (part.access) {
        const pv = await this.evaluatePropertyAccess(x, part.access, always())
        const t = pv.toText()
        v.unknown = v.unknown || t.unknown
        v.secret = v.secret || t.secret
        if (!t.unknown) out += t.text
        this.checkedString(x, out)
      }
    }
    v.repr = v.unknown ? '[unknown]' : out
    return v
  }

  private async evaluatePropertyAccess(x: DeclTree, access: Accessor[], accept: Schema): Promise<Value> {
    const found = await this.evaluateExprAccess(x, access, accept)
    const v = this.copy(found)
    v.def = x
    return v
  }

  private async evaluateExprAccess(x: DeclTree, access: Accessor[], accept: Schema): Promise<Value> {
    const first = access[0] as Accessor
    const rootKey = this.objectKey(x, first, false)
    if (rootKey === 'imports') return this.evaluateValueAccess(x, this.myImports, access.slice(1))
    if (rootKey === 'context') return this.evaluateValueAccess(x, this.myContext, access.slice(1))
    if (rootKey === 'environments') return this.evaluateEnvironmentReference(x, access)
    let receiver: DeclTree = this.root
    let rest = access
    while (rest.length > 0) {
      const accessor = rest[0] as Accessor
      if (receiver.elems) {
        const index = this.arrayIndex(x, accessor, receiver.elems.length)
        if (index === undefined) return this.invalidAccess(x)
        receiver = receiver.elems[index] as DeclTree
      } else if (receiver.props) {
        const key = this.objectKey(x, accessor, true)
        if (key === undefined) return this.invalidAccess(x)
        const prop = receiver.props.get(key)
        if (!prop) {
          if (receiver.base?.isObject()) return this.evaluateValueAccess(x, receiver.base, rest)
          this.unknownProperty(x, accessor, key, [...receiver.props.keys()])
          return this.invalidAccess(x)
        }
        receiver = prop
      } else if (receiver.expr?.kind === 'secret' && receiver.expr.plaintext && receiver.args?.a) {
        receiver = receiver.args.a
        continue
      } else {
        return this.evaluateValueAccess(x, await this.evaluateDecl(receiver, accept), rest)
      }
      rest = rest.slice(1)
    }
    return this.evaluateDecl(receiver, always())
  }

  private async evaluateEnvironmentReference(x: DeclTree, access: Accessor[]): Promise<Value> {
    if (access.length < 3) return this.invalidAccess(x)
    const project = this.objectKey(x, access[1] as Accessor, true)
    const envName = this.objectKey(x, access[2] as Accessor, true)
    if (project === undefined || envName === undefined) return this.invalidAccess(x)
    let imported = x.expr ? await this.evaluateImport(x.expr, `${project}/${envName}`) : undefined
    if (!imported) imported = this.unknown({ ...syntheticDecl('') })
    const envs = new Value(x, record({ [envName]: imported.schema }), new Map([[envName, imported]]))
    const projects = new Value(x, record({ [project]: envs.schema }), new Map([[project, envs]]))
    const reference = new Value(
      x,
      record({ environments: projects.schema }),
      new Map([['environments', projects]]),
    )
    reference.rotateOnly = true
    return this.evaluateValueAccess(x, reference, access)
  }

  private evaluateValueAccess(x: DeclTree, start: Value, access: Accessor[]): Value {
    let receiver = start
    let secret = false
    for (let i = 0; i < access.length; i++) {
      const accessor = access[i] as Accessor
      if (receiver.unknown) return this.evaluateUnknownAccess(x, receiver.schema, access.slice(i))
      secret ||= receiver.secret
      const r = receiver.repr
      if (Array.isArray(r)) {
        const index = this.arrayIndex(x, accessor, r.length)
        if (index === undefined) return this.invalidAccess(x)
        receiver = r[index] as Value
      } else if (r instanceof Map) {
        const key = this.objectKey(x, accessor, true)
        if (key === undefined) return this.invalidAccess(x)
        const prop = r.get(key)
        if (!prop) {
          if (receiver.base?.isObject()) return this.evaluateValueAccess(x, receiver.base, access.slice(i))
          this.unknownProperty(x, accessor, key, [...r.keys()])
          return this.invalidAccess(x)
        }
        receiver = prop
      } else {
        this.accessorError(x, accessor, 'receiver must be an array or an object')
        return this.invalidAccess(x)
      }
    }
    if (secret && !receiver.secret) {
      // A piece of a secret is a secret.
      receiver = this.copy(receiver)
      receiver.secret = true
    }
    return receiver
  }

  private evaluateUnknownAccess(x: DeclTree, schema: Schema, access: Accessor[]): Value {
    let s = schema
    for (const accessor of access) {
      if (!s.always) {
        if (s.type === 'array') {
          const n = s.items?.never ? (s.prefixItems?.length ?? 0) : -1
          const index = this.arrayIndex(x, accessor, n)
          if (index === undefined) return this.invalidAccess(x)
          s = itemSchema(s, index)
        } else if (s.type === 'object') {
          const key = this.objectKey(x, accessor, true)
          if (key === undefined) return this.invalidAccess(x)
          s = propertySchema(s, key)
        } else {
          this.accessorError(x, accessor, 'receiver must be an array or an object')
          return this.invalidAccess(x)
        }
      }
    }
    return this.unknown(x, s)
  }

  private invalidAccess(x: DeclTree): Value {
    return this.unknown(x, always())
  }

  private accessorError(x: DeclTree, accessor: Accessor, summary: string): void {
    const node = x.expr?.node
    this.diags.push(errorDiag(summary, accessor.range ?? node?.range, node?.path ?? ''))
  }

  private unknownProperty(x: DeclTree, accessor: Accessor, key: string, candidates: string[]): void {
    const nearest = nearestName(key, candidates)
    this.accessorError(
      x,
      accessor,
      `unknown property ${JSON.stringify(key)}${nearest ? `; did you mean ${JSON.stringify(nearest)}?` : ''}`,
    )
  }

  private arrayIndex(x: DeclTree, accessor: Accessor, length: number): number | undefined {
    if (accessor.kind !== 'subscript' || typeof accessor.index !== 'number') {
      this.accessorError(x, accessor, 'cannot access an array element using a property name')
      return undefined
    }
    if (accessor.index < 0) {
      this.accessorError(x, accessor, 'array indices must not be negative')
      return undefined
    }
    if (length >= 0 && accessor.index >= length) {
      this.accessorError(
        x,
        accessor,
        `array index ${accessor.index} out-of-bounds for array of length ${length}`,
      )
      return undefined
    }
    return accessor.index
  }

  private objectKey(x: DeclTree, accessor: Accessor, must: boolean): string | undefined {
    if (accessor.kind === 'name') return accessor.name
    if (typeof accessor.index === 'string') return accessor.index
    if (must) this.accessorError(x, accessor, 'cannot access an object property using an integer index')
    return undefined
  }

  private async evaluateSecret(x: DeclTree, ciphertext: string | undefined): Promise<Value> {
    const inner = this.arg(x, 'a')
    if (ciphertext === undefined) return this.evaluateDecl(inner, stringSchema())
    const v = new Value(x, x.schema)
    v.secret = true
    let bytes: Uint8Array
    try {
      bytes = decodeCiphertext(ciphertext)
    } catch (err) {
      this.diags.push(exprError(x.expr, `invalid ciphertext: ${(err as Error).message}`))
      v.unknown = true
      return v
    }
    if (this.options.validating && !this.options.showSecrets) {
      v.unknown = true
      return v
    }
    try {
      v.repr = Buffer.from(await this.decrypter.decrypt(bytes)).toString('utf8')
    } catch (err) {
      this.diags.push(exprError(x.expr, `decrypting: ${(err as Error).message}`))
      v.unknown = true
    }
    return v
  }

  private async evaluateOpen(x: DeclTree, providerName: string | undefined): Promise<Value> {
    if (providerName === undefined) return this.unknown(x, always())
    let provider: EscProvider | undefined
    let inputSchema = always()
    try {
      provider = await this.options.providers.loadProvider(providerName)
      inputSchema = provider.inputSchema()
      x.schema = provider.outputSchema()
    } catch (err) {
      this.diags.push(exprError(x.expr, (err as Error).message))
    }
    const { v: inputs, ok } = await this.typed(this.arg(x, 'a'), inputSchema)
    if (!ok || inputs.containsUnknowns() || this.options.validating || !provider) return this.unknown(x)
    const exported = asEscMap(inputs.export('')) ?? {}
    let output: EscValue
    try {
      output = await provider.open(plainInputs(exported), this.exec)
    } catch (err) {
      this.diags.push(exprError(x.expr, (err as Error).message))
      return this.unknown(x)
    }
    if (inputs.containsSecrets() && !output.secret) output = { ...output, secret: true }
    return unexport(output, x)
  }

  /** fn::rotate in an open or check: the provider opens with the stored state; rotation itself is not run here. */
  private async evaluateRotate(x: DeclTree, providerName: string | undefined): Promise<Value> {
    if (providerName === undefined) return this.unknown(x, always())
    let rotator: EscRotator | undefined
    let inputSchema = always()
    let stateSchema = always()
    try {
      rotator = await this.options.providers.loadRotator(providerName)
      inputSchema = rotator.inputSchema()
      stateSchema = { oneOf: [rotator.stateSchema(), { type: 'null' }] }
      x.schema = rotator.outputSchema()
    } catch (err) {
      this.diags.push(exprError(x.expr, (err as Error).message))
    }
    const { v: inputs, ok: inputsOk } = await this.typed(this.arg(x, 'a'), inputSchema)
    const { v: state, ok: stateOk } = await this.typed(this.arg(x, 'b'), stateSchema)
    if (
      !inputsOk ||
      inputs.containsObservableUnknowns() ||
      !stateOk ||
      state.containsUnknowns() ||
      this.options.validating ||
      !rotator
    )
      return this.unknown(x)
    let output: EscValue
    try {
      const exportedState = asEscMap(state.export(''))
      output = await rotator.open(
        plainInputs(asEscMap(inputs.export('')) ?? {}),
        exportedState ? plainInputs(exportedState) : undefined,
        this.exec,
      )
    } catch (err) {
      this.diags.push(exprError(x.expr, (err as Error).message))
      return this.unknown(x)
    }
    return unexport(output, x)
  }

  private async evaluateConcat(x: DeclTree): Promise<Value> {
    const v = new Value(x, arrayOf(always()))
    const { v: arrays, ok } = await this.typed(this.arg(x, 'a'), arrayOf(arrayOf(always())))
    if (!ok) return this.unknown(x, v.schema)
    v.combine(arrays)
    if (!v.unknown) v.repr = (arrays.repr as Value[]).flatMap((a) => a.repr as Value[])
    return v
  }

  private async evaluateJoin(x: DeclTree): Promise<Value> {
    const v = new Value(x, stringSchema())
    const { v: delim, ok: dOk } = await this.typed(this.arg(x, 'a'), stringSchema())
    const { v: values, ok: vOk } = await this.typed(this.arg(x, 'b'), arrayOf(stringSchema()))
    if (!dOk || !vOk) return this.unknown(x, v.schema)
    v.combine(delim, values)
    if (!v.unknown) {
      v.repr = this.checkedString(
        x,
        (values.repr as Value[]).map((e) => e.repr as string).join(delim.repr as string),
      )
    }
    return v
  }

  private async evaluateSplit(x: DeclTree): Promise<Value> {
    const v = new Value(x, arrayOf(stringSchema()))
    const { v: delim, ok: dOk } = await this.typed(this.arg(x, 'a'), stringSchema())
    const { v: str, ok: sOk } = await this.typed(this.arg(x, 'b'), stringSchema())
    if (!dOk || !sOk) return this.unknown(x, v.schema)
    v.combine(delim, str)
    if (!v.unknown) {
      const parts = (str.repr as string).split(delim.repr as string)
      this.step(parts.length)
      v.repr = parts.map((p) => new Value(x, stringSchema(), p))
    }
    return v
  }

  private async evaluateBase64(x: DeclTree, encode: boolean): Promise<Value> {
    const v = new Value(x, stringSchema())
    const { v: str, ok } = await this.typed(this.arg(x, 'a'), stringSchema())
    if (!ok) return this.unknown(x, v.schema)
    v.combine(str)
    if (v.unknown) return v
    const s = str.repr as string
    if (encode) {
      v.repr = this.checkedString(x, Buffer.from(s, 'utf8').toString('base64'))
    } else {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) {
        this.diags.push(exprError(x.expr, 'decoding base64 string: illegal base64 data'))
        v.unknown = true
        return v
      }
      v.repr = Buffer.from(s, 'base64').toString('utf8')
    }
    return v
  }

  private async evaluateToJSON(x: DeclTree): Promise<Value> {
    const v = new Value(x, stringSchema())
    const inner = await this.evaluateDecl(this.arg(x, 'a'), always())
    v.combine(inner)
    if (!v.unknown) v.repr = this.checkedString(x, JSON.stringify(toJSON(inner.export(''), false)))
    return v
  }

  private async evaluateFromJSON(x: DeclTree): Promise<Value> {
    const { v: str, ok } = await this.typed(this.arg(x, 'a'), stringSchema())
    if (!ok) return this.unknown(x, always())
    const v = new Value(x, always())
    v.combine(str)
    if (v.unknown) return v
    let parsed: unknown
    try {
      parsed = JSON.parse(str.repr as string)
    } catch (err) {
      this.diags.push(exprError(x.expr, `decoding JSON string: ${(err as Error).message}`))
      return this.unknown(x, always())
    }
    const ev = fromJSON(parsed)
    if (v.secret) ev.secret = true
    return unexport(ev, x)
  }

  private async evaluateValidate(x: DeclTree): Promise<Value> {
    const schemaValue = await this.evaluateDecl(this.arg(x, 'a'), always())
    let accept: Schema = always()
    if (!schemaValue.containsUnknowns()) {
      const json = toJSON(schemaValue.export(''), false)
      if (json !== null && typeof json === 'object' && !Array.isArray(json)) accept = json as Schema
      else if (json === false) accept = never()
    }
    const { v: inner } = await this.typed(this.arg(x, 'b'), accept)
    const v = new Value(x, inner.schema, inner.repr)
    v.combine(inner)
    return v
  }
}

/** Provider inputs as plain esc.Values without traces. */
function plainInputs(m: Record<string, EscValue>): Record<string, EscValue> {
  const strip = (v: EscValue): EscValue => {
    const inner = v.value
    const out: EscValue = {}
    if (Array.isArray(inner)) out.value = inner.map(strip)
    else if (inner !== null && typeof inner === 'object') {
      out.value = Object.fromEntries(Object.entries(inner).map(([k, e]) => [k, strip(e)]))
    } else if (inner !== undefined) out.value = inner
    if (v.secret) out.secret = true
    if (v.unknown) out.unknown = true
    return out
  }
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, strip(v)]))
}

/** esc.Value -> evaluated value defined at `x` (unexport in eval/value.go). */
export function unexport(v: EscValue, x: Decl): Value {
  const out = new Value(x, always())
  out.secret = (v.secret ?? false) || x.secret
  out.unknown = v.unknown ?? false
  const inner = v.value
  if (inner === null || inner === undefined) {
    out.repr = null
    out.schema = { type: 'null' }
  } else if (Array.isArray(inner)) {
    const items = inner.map((e) => unexport(e, x))
    out.repr = items
    out.schema = tuple(items.map((i) => i.schema))
  } else if (typeof inner === 'object') {
    const m = new Map<string, Value>()
    const schemas: Record<string, Schema> = {}
    for (const [k, e] of Object.entries(inner)) {
      const u = unexport(e, x)
      m.set(k, u)
      schemas[k] = u.schema
    }
    out.repr = m
    out.schema = record(schemas)
  } else {
    out.repr = inner
    out.schema = { type: typeof inner as 'string', const: inner }
  }
  return out
}

/** The closest candidate within 50% edits, ignoring case and underscores (internal/spell Nearest). */
function nearestName(x: string, candidates: string[]): string | undefined {
  const fold = (s: string) => s.replaceAll('_', '').toLowerCase()
  const fx = fold(x)
  let best: string | undefined
  let bestD = Math.floor((fx.length + 1) / 2)
  for (const c of candidates) {
    const d = levenshtein(fx, fold(c))
    if (d < bestD) {
      bestD = d
      best = c
    }
  }
  return best
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = i - 1
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
        1 + (row[j - 1] as number),
        1 + (row[j] as number),
      )
      prev = row[j] as number
      row[j] = next
    }
  }
  return row[b.length] as number
}

export { accessPath }
