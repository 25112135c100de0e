import type { UntypedDeployment } from '../apitype/core.js'
import { InvalidError } from '../errors.js'
import { checkDeployment } from './deployment-shape.js'

// pkg/resource/stack/deployment.go :: UnmarshalUntypedDeployment accepts schema versions 1 to 4.
const MIN_VERSION = 1
const MAX_VERSION = 4

/**
 * What a never-deployed stack exports: the CLI deserialises every export (state.go :: getSnapshot), so it must
 * be a valid version-3 deployment with a manifest, not an empty body.
 */
export function emptyDeployment(): UntypedDeployment {
  return { version: 3, deployment: { manifest: { time: '0001-01-01T00:00:00Z', magic: '', version: '' } } }
}

/** Parses and validates an UntypedDeployment envelope; the deployment itself stays opaque. */
export function parseUntypedDeployment(text: Buffer | string): UntypedDeployment {
  return validateUntypedDeployment(parseJson(text))
}

/** Parses a deployment sent to be stored and validates it with validateDeploymentInput. */
export function parseDeploymentInput(text: Buffer | string): UntypedDeployment {
  return validateDeploymentInput(parseJson(text))
}

function parseJson(text: Buffer | string): unknown {
  try {
    return JSON.parse(typeof text === 'string' ? text : text.toString('utf8'))
  } catch {
    throw new InvalidError('Bad Request: the deployment is not valid JSON')
  }
}

export function validateUntypedDeployment(value: unknown): UntypedDeployment {
  if (!isObject(value)) throw new InvalidError('Bad Request: the deployment must be a JSON object')
  const { version, deployment, features } = value
  // The DIY backend's on-disk files ({"version","checkpoint"}, or v0's {"target","latest"}) look similar but the CLI
  // never sends them; say so instead of complaining about a missing field.
  if (deployment === undefined && ('checkpoint' in value || 'latest' in value)) {
    throw new InvalidError(
      'Bad Request: this is a DIY backend checkpoint file, not a deployment; import the output of `pulumi stack export`',
    )
  }
  if (!Number.isInteger(version) || (version as number) < MIN_VERSION || (version as number) > MAX_VERSION) {
    throw new InvalidError(
      `Bad Request: unsupported deployment version ${JSON.stringify(version ?? null)}; expected ${MIN_VERSION} to ${MAX_VERSION}`,
    )
  }
  if (!isObject(deployment)) throw new InvalidError('Bad Request: the deployment has no "deployment" object')
  if (features !== undefined && features !== null) {
    if (!Array.isArray(features) || features.some((f) => typeof f !== 'string')) {
      throw new InvalidError('Bad Request: "features" must be a list of strings')
    }
  }
  if (
    deployment.resources !== undefined &&
    deployment.resources !== null &&
    !Array.isArray(deployment.resources)
  ) {
    throw new InvalidError('Bad Request: "deployment.resources" must be a list')
  }
  return value as UntypedDeployment
}

/**
 * A deployment sent to be stored (import, the initial state of a new stack): the envelope, and the shape of its
 * resources, pending operations and providers, so nothing is stored that the CLI could not read back.
 */
export function validateDeploymentInput(value: unknown): UntypedDeployment {
  const deployment = validateUntypedDeployment(value)
  checkDeployment(deployment.deployment as Record<string, unknown>, 'Bad Request: deployment')
  return deployment
}

export function resourceCount(deployment: UntypedDeployment): number {
  return deployment.deployment?.resources?.length ?? 0
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
