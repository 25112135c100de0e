// A port of sdk/go/common/apitype/service.go :: CapabilitiesResponse.Parse, including the json.Unmarshal rules
// that matter: an absent `configuration` of a capability that needs one is "unexpected end of JSON input", ints
// refuse fractions and strings, object keys match case-insensitively. Any error drops *all* capabilities in the CLI
// (backend.go :: doDetectCapabilities), so tests must parse the answer exactly this strictly.

export interface Capabilities {
  deltaCheckpointUpdates: { checkpointCutoffSizeBytes: number } | undefined
  batchEncryption: boolean
  copilotSummarizeErrorV1: boolean
  copilotExplainPreviewV1: boolean
  deploymentSchemaVersion: number
  stackPolicyPacks: boolean
  apiVersion: { maxVersion: number; minVersion: number; defaultVersion: number } | undefined
  neoCliMode: { minCliVersion: string | undefined } | undefined
  beginUpdate: boolean
}

export function parseCapabilities(response: unknown): Capabilities {
  const parsed: Capabilities = {
    deltaCheckpointUpdates: undefined,
    batchEncryption: false,
    copilotSummarizeErrorV1: false,
    copilotExplainPreviewV1: false,
    deploymentSchemaVersion: 0,
    stackPolicyPacks: false,
    apiVersion: undefined,
    neoCliMode: undefined,
    beginUpdate: false,
  }
  const top = asStruct(response, 'CapabilitiesResponse')
  const list = field(top, 'capabilities')
  if (list === null || list === undefined) return parsed
  if (!Array.isArray(list)) throw new Error('cannot unmarshal capabilities into []APICapabilityConfig')
  for (const item of list) {
    const entry = asStruct(item, 'APICapabilityConfig')
    const capability = goString(field(entry, 'capability'), 'capability')
    const version = goInt(field(entry, 'version'), 'version')
    // RawMessage: absent (or omitted) is empty input, which json.Unmarshal refuses.
    const configuration = field(entry, 'configuration')
    const config = () => {
      if (configuration === undefined) throw new Error(`decoding ${capability}: unexpected end of JSON input`)
      return asStruct(configuration, capability)
    }
    switch (capability) {
      case 'delta-checkpoint-uploads':
        parsed.deltaCheckpointUpdates = {
          checkpointCutoffSizeBytes: goInt(
            field(config(), 'checkpointCutoffSizeBytes'),
            'checkpointCutoffSizeBytes',
          ),
        }
        break
      case 'delta-checkpoint-uploads-v2':
        if (version === 2) {
          parsed.deltaCheckpointUpdates = {
            checkpointCutoffSizeBytes: goInt(
              field(config(), 'checkpointCutoffSizeBytes'),
              'checkpointCutoffSizeBytes',
            ),
          }
        }
        break
      case 'batch-encrypt':
        parsed.batchEncryption = true
        break
      case 'copilot-summarize-error':
        if (version === 1) parsed.copilotSummarizeErrorV1 = true
        break
      case 'copilot-explain-preview':
        if (version === 1) parsed.copilotExplainPreviewV1 = true
        break
      case 'deployment-schema-version':
        if (version === 1) parsed.deploymentSchemaVersion = goInt(field(config(), 'version'), 'version')
        break
      case 'stack-policy-packs':
        if (version === 1) parsed.stackPolicyPacks = true
        break
      case 'api-version':
        if (version === 1) {
          const c = config()
          const cfg = {
            maxVersion: goInt(field(c, 'maxVersion'), 'maxVersion'),
            minVersion: goInt(field(c, 'minVersion'), 'minVersion'),
            defaultVersion: goInt(field(c, 'defaultVersion'), 'defaultVersion'),
          }
          // APIVersionCapabilityConfig.validate
          if (cfg.minVersion < 1) throw new Error('minVersion must be >= 1')
          if (cfg.maxVersion < cfg.minVersion) throw new Error('maxVersion must be >= minVersion')
          if (cfg.defaultVersion < cfg.minVersion || cfg.defaultVersion > cfg.maxVersion) {
            throw new Error('defaultVersion must be in [minVersion, maxVersion]')
          }
          parsed.apiVersion = cfg
        }
        break
      case 'neo-cli-mode':
        if (version === 1) {
          const raw = field(config(), 'minCliVersion')
          if (raw !== undefined && raw !== null && !isSemver(goString(raw, 'minCliVersion'))) {
            throw new Error('minCliVersion is not a semantic version')
          }
          parsed.neoCliMode = { minCliVersion: raw === null || raw === undefined ? undefined : String(raw) }
        }
        break
      case 'begin-update':
        if (version === 1) parsed.beginUpdate = true
        break
    }
  }
  return parsed
}

/** json.Unmarshal into a struct: null leaves it zero, anything but an object is a type error. */
function asStruct(value: unknown, what: string): Record<string, unknown> {
  if (value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`cannot unmarshal into ${what}`)
  return value as Record<string, unknown>
}

/** encoding/json prefers an exact key, then any key equal under case folding. */
function field(object: Record<string, unknown>, name: string): unknown {
  if (name in object) return object[name]
  const folded = Object.keys(object).find((key) => key.toLowerCase() === name.toLowerCase())
  return folded === undefined ? undefined : object[folded]
}

function goInt(value: unknown, what: string): number {
  if (value === undefined || value === null) return 0
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new Error(`cannot unmarshal ${what} into int`)
  return value
}

function goString(value: unknown, what: string): string {
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') throw new Error(`cannot unmarshal ${what} into string`)
  return value
}

function isSemver(text: string): boolean {
  return /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(text)
}
