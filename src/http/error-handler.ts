import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isTextValueError } from '../db/text-value.js'
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '../db/unavailable.js'
import { AppError, type ErrorKind } from '../errors.js'
import { type BodyLimit, tooLargeMessage } from './body-limits.js'

const statusByKind = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  already_exists: 409,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
} satisfies Record<ErrorKind, number>

/** apitype.ErrorResponse: the CLI takes `code` from the body, so it must always equal the HTTP status. */
export interface ErrorResponse {
  code: number
  message: string
}

interface SchemaFailure {
  keyword: string
  instancePath: string
  params: { allowedValue?: unknown }
}

/**
 * A value outside a set of literals fails each literal and then their union, which ajv words as "must be equal to
 * constant" once per literal: name the allowed values instead, so the message says how to fix the request.
 */
function validationMessage(error: Partial<FastifyError>): string {
  const failures = (error.validation ?? []) as SchemaFailure[]
  const allowed = failures
    .filter((f) => f.keyword === 'const')
    .map((f) => JSON.stringify(f.params.allowedValue))
  if (allowed.length > 0 && failures.every((f) => f.keyword === 'const' || f.keyword === 'anyOf')) {
    return `${error.validationContext ?? 'body'}${failures[0]?.instancePath ?? ''} must be one of ${allowed.join(', ')}`
  }
  return error.message ?? 'invalid request'
}

/** `limit`: the body limit of the route that failed, which a 413 from Fastify's own size check names. */
export function errorResponse(error: unknown, limit?: BodyLimit): ErrorResponse {
  if (error instanceof AppError) return { code: statusByKind[error.kind], message: error.message }
  const fastifyError = error as Partial<FastifyError> & { code?: string }
  if (fastifyError.validation) {
    return { code: 400, message: `Bad Request: ${validationMessage(fastifyError)}` }
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        code: 413,
        message: limit
          ? tooLargeMessage(limit)
          : 'Payload Too Large: the request body exceeds the size limit',
      }
    case 'Z_DATA_ERROR':
    case 'Z_BUF_ERROR':
      return { code: 400, message: 'Bad Request: body is not valid gzip data' }
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 400, message: 'Bad Request: the body length does not match Content-Length' }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 415, message: 'Unsupported Media Type: send JSON' }
  }
  if (isDatabaseUnavailable(error)) return { code: 503, message: DATABASE_UNAVAILABLE_MESSAGE }
  if (isTextValueError(error)) {
    return {
      code: 400,
      message:
        'Bad Request: a text value contains a NUL character (U+0000), which cannot be stored; remove it',
    }
  }
  const status = fastifyError.statusCode
  // Fastify's own 4xx errors carry safe messages; anything else is an internal error and is not described.
  if (status !== undefined && status >= 400 && status < 500 && fastifyError.code?.startsWith('FST_')) {
    return { code: status, message: fastifyError.message ?? 'Bad Request' }
  }
  return {
    code: 500,
    message: 'Internal Server Error: the server failed to process the request; see its logs',
  }
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const body = errorResponse(error, request.routeOptions?.config?.bodyLimit)
  if (body.code >= 500) request.log.error({ err: error }, 'request failed')
  void reply.code(body.code).send(body)
}
