/**
 * Transport-free domain errors. Services and stores throw these; `http/error-handler.ts` maps each kind to an
 * HTTP status and the CLI's error body `{"code": <status>, "message": ...}` (apitype.ErrorResponse).
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'already_exists'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media_type'
  | 'unavailable'

export abstract class AppError extends Error {
  abstract readonly kind: ErrorKind
}

export class InvalidError extends AppError {
  override name = 'InvalidError'
  readonly kind = 'invalid'
}
export class UnauthenticatedError extends AppError {
  override name = 'UnauthenticatedError'
  readonly kind = 'unauthenticated'
}
export class ForbiddenError extends AppError {
  override name = 'ForbiddenError'
  readonly kind = 'forbidden'
}
export class NotFoundError extends AppError {
  override name = 'NotFoundError'
  readonly kind = 'not_found'
}
export class AlreadyExistsError extends AppError {
  override name = 'AlreadyExistsError'
  readonly kind = 'already_exists'
}
export class ConflictError extends AppError {
  override name = 'ConflictError'
  readonly kind = 'conflict'
}
export class TooLargeError extends AppError {
  override name = 'TooLargeError'
  readonly kind = 'too_large'
}
export class UnsupportedMediaTypeError extends AppError {
  override name = 'UnsupportedMediaTypeError'
  readonly kind = 'unsupported_media_type'
}
export class UnavailableError extends AppError {
  override name = 'UnavailableError'
  readonly kind = 'unavailable'
}
