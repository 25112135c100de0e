/** apitype.ResourceV3 fields the Cloud's `Resource` answer carries (Pulumi's spec, schema Resource). */
const RESOURCE_FIELDS = [
  'urn',
  'custom',
  'delete',
  'id',
  'type',
  'inputs',
  'outputs',
  'parent',
  'protect',
  'external',
  'dependencies',
  'initErrors',
  'additionalSecretOutputs',
  'aliases',
  'deletedWith',
  'retainOnDelete',
] as const

// sdk/go/common/resource/sig :: Secret; a secret value is an object carrying this key with this value.
const SIG_KEY = '4dabf18193072939515e22adb298388d'
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270'
export const MASKED_SECRET = '[secret]'

/** The resources of a deployment text as the Cloud's REST reads return them, secret values masked. */
export function resourcesForIntegrations(text: Buffer): Record<string, unknown>[] {
  const parsed = JSON.parse(text.toString('utf8')) as {
    deployment?: { resources?: Record<string, unknown>[] }
  }
  return (parsed.deployment?.resources ?? []).map(resourceView)
}

function resourceView(resource: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { custom: false, delete: false, dependencies: [] }
  for (const field of RESOURCE_FIELDS) {
    if (resource[field] !== undefined) out[field] = resource[field]
  }
  if (out.inputs !== undefined) out.inputs = withoutSecrets(out.inputs)
  if (out.outputs !== undefined) out.outputs = withoutSecrets(out.outputs)
  return out
}

/** Replaces every secret (plaintext or ciphertext) by a marker: integrations never see secret material. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets)
  if (value === null || typeof value !== 'object') return value
  const object = value as Record<string, unknown>
  if (object[SIG_KEY] === SECRET_SIG) return MASKED_SECRET
  return Object.fromEntries(Object.entries(object).map(([key, v]) => [key, withoutSecrets(v)]))
}
