import { type TNumberOptions, Type } from 'typebox'

/**
 * A JSON integer the server can hold exactly: JSON Schema's "integer" alone accepts 1e20, which is no exact number
 * here and, stored as a sequence number or version, would outrank every real one that follows.
 */
export const SafeInteger = (options: TNumberOptions = {}) =>
  Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, ...options })
