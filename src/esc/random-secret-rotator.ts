// `fn::rotate::random-secret`: a rotator that needs nothing outside this server. Each rotation draws a new random
// secret and keeps the one before as `previous`, so two services that share a key through an environment (a
// session-signing key, an HMAC secret, an internal API key) can accept both while they pick up the new one.
// The state is written back into the definition as `fn::secret`, so it is stored encrypted like any secret.
import { randomBytes } from 'node:crypto'
import type { EscRotator } from './eval/evaluator.js'
import type { Schema } from './eval/schema.js'
import type { EscValue } from './eval/value.js'

export const RANDOM_SECRET = 'random-secret'

const ENCODINGS = ['base64url', 'hex', 'alphanumeric'] as const
type Encoding = (typeof ENCODINGS)[number]

const INPUTS: Schema = {
  type: 'object',
  properties: {
    length: { type: 'number', minimum: 16, maximum: 256 },
    encoding: { enum: [...ENCODINGS] },
  },
}
const STATE: Schema = {
  type: 'object',
  properties: { current: { type: 'string' }, previous: { type: 'string' } },
  required: ['current'],
}
const OUTPUT: Schema = {
  type: 'object',
  properties: { current: { type: 'string' }, previous: { type: 'string' } },
  required: ['current'],
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** `length` characters of fresh randomness in `encoding` (alphanumeric by rejection sampling: no modulo bias). */
export function randomSecret(length = 32, encoding: Encoding = 'base64url'): string {
  if (encoding === 'hex')
    return randomBytes(Math.ceil(length / 2))
      .toString('hex')
      .slice(0, length)
  if (encoding === 'base64url')
    return randomBytes(Math.ceil((length * 3) / 4) + 1)
      .toString('base64url')
      .slice(0, length)
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      if (byte < 248 && out.length < length) out += ALPHANUMERIC[byte % 62]
    }
  }
  return out
}

const str = (v: EscValue | undefined) => (typeof v?.value === 'string' ? v.value : undefined)

export const randomSecretRotator: EscRotator = {
  inputSchema: () => INPUTS,
  stateSchema: () => STATE,
  outputSchema: () => OUTPUT,
  async open(_inputs, state) {
    const current = str(state?.current)
    if (current === undefined) {
      throw new Error('random-secret has not been rotated yet: run `pulumi env rotate` on this environment')
    }
    const previous = str(state?.previous)
    return {
      value: {
        current: { value: current, secret: true },
        ...(previous !== undefined ? { previous: { value: previous, secret: true } } : {}),
      },
    }
  },
  async rotate(inputs, state) {
    const length = typeof inputs.length?.value === 'number' ? inputs.length.value : 32
    const encoding = (str(inputs.encoding) ?? 'base64url') as Encoding
    if (!Number.isInteger(length) || length < 16 || length > 256)
      throw new Error('length must be an integer from 16 to 256')
    if (!ENCODINGS.includes(encoding)) throw new Error(`encoding must be one of ${ENCODINGS.join(', ')}`)
    const previous = str(state?.current)
    return { current: randomSecret(length, encoding), ...(previous !== undefined ? { previous } : {}) }
  },
}
