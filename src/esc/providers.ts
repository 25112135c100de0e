// The providers `fn::open::<name>` can reach on this server. `pulumi-stacks` reads stack outputs stored here;
// the cloud providers of Pulumi Cloud are recognised and answer that they are not available (yet).
import type { Stack, StackRef } from '../stacks/stack.js'
import type { EscProvider, EscRotator, ProviderLoader } from './eval/evaluator.js'
import type { Schema } from './eval/schema.js'
import { type EscValue, fromJSON } from './eval/value.js'
import { RANDOM_SECRET, randomSecretRotator } from './random-secret-rotator.js'

/** What pulumi-stacks needs from the rest of the server: stack lookup, state text and stack-secret decryption. */
export interface StackOutputsSource {
  getStack(ref: StackRef): Promise<Stack>
  deploymentText(stack: Stack): Promise<Buffer>
  decrypt(stack: Stack, ciphertext: Buffer): Promise<Buffer>
}

const CLOUD_PROVIDERS = new Set([
  'aws-login',
  'aws-secrets',
  'aws-parameter-store',
  'azure-login',
  'azure-secrets',
  'azure-app-configuration',
  'gcp-login',
  'gcp-secrets',
  'vault-login',
  'vault-secrets',
  '1password-secrets',
  'doppler-login',
  'doppler-secrets',
  'infisical-login',
  'infisical-secrets',
  'snowflake-login',
  'onepassword-secrets',
  'pulumi-scim',
])

const STACKS_INPUT: Schema = {
  type: 'object',
  properties: {
    stacks: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { stack: { type: 'string' } },
        required: ['stack'],
      },
    },
  },
  required: ['stacks'],
}

// sdk/go/common/resource/sig :: Secret — the signature key and value that mark a secret in a checkpoint.
const SIG_KEY = '4dabf18193072939515e22adb298388d'
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270'

export class ServerProviders implements ProviderLoader {
  constructor(
    private readonly org: string,
    private readonly stacks: StackOutputsSource,
    /** The caller may read this stack (its outputs are read with the caller's permissions). */
    private readonly mayRead: (ref: StackRef) => boolean = () => true,
  ) {}

  async loadProvider(name: string): Promise<EscProvider> {
    if (name === 'pulumi-stacks') return this.pulumiStacks()
    if (CLOUD_PROVIDERS.has(name)) {
      throw new Error(
        `provider "${name}" is not available on this server (pulumi-backend provides pulumi-stacks only)`,
      )
    }
    throw new Error(`unknown provider "${name}"`)
  }

  async loadRotator(name: string): Promise<EscRotator> {
    if (name === RANDOM_SECRET) return randomSecretRotator
    throw new Error(
      `rotator "${name}" is not available on this server (pulumi-backend provides ${RANDOM_SECRET} only)`,
    )
  }

  private pulumiStacks(): EscProvider {
    return {
      inputSchema: () => STACKS_INPUT,
      outputSchema: () => ({ always: true }),
      open: async (inputs) => {
        const wanted = (inputs.stacks?.value ?? {}) as Record<string, EscValue>
        const out: Record<string, EscValue> = {}
        for (const [alias, spec] of Object.entries(wanted)) {
          const stackName = (spec.value as Record<string, EscValue> | undefined)?.stack?.value
          if (typeof stackName !== 'string') throw new Error(`stacks.${alias}.stack must be a string`)
          out[alias] = await this.outputsOf(stackName)
        }
        return { value: out }
      },
    }
  }

  /** `project/stack` in the environment's organization, or `org/project/stack` naming that same organization. */
  private async outputsOf(name: string): Promise<EscValue> {
    const parts = name.split('/')
    const [org, project, stack] = parts.length === 3 ? parts : [this.org, ...parts]
    if (parts.length < 2 || parts.length > 3 || !project || !stack) {
      throw new Error(`invalid stack name "${name}": use <project>/<stack>`)
    }
    if (org !== this.org) throw new Error(`stack "${name}" is not in organization ${this.org}`)
    let found: Stack
    try {
      // A stack the caller may not read reads as missing, as the stacks API answers it.
      if (!this.mayRead({ org, project, stack })) throw new Error('hidden')
      found = await this.stacks.getStack({ org, project, stack })
    } catch {
      throw new Error(`stack "${name}" not found`)
    }
    const text = await this.stacks.deploymentText(found)
    const parsed = JSON.parse(text.toString('utf8')) as {
      deployment?: { resources?: unknown[] }
      resources?: unknown[]
    }
    const resources = (parsed.deployment?.resources ?? parsed.resources ?? []) as {
      type?: string
      parent?: string
      outputs?: Record<string, unknown>
    }[]
    const root = resources.find((r) => r.type === 'pulumi:pulumi:Stack' && !r.parent)
    const outputs: Record<string, EscValue> = {}
    for (const [k, v] of Object.entries(root?.outputs ?? {})) outputs[k] = await this.toValue(found, v)
    return { value: outputs }
  }

  private async toValue(stack: Stack, v: unknown): Promise<EscValue> {
    if (Array.isArray(v)) return { value: await Promise.all(v.map((e) => this.toValue(stack, e))) }
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>
      if (o[SIG_KEY] === SECRET_SIG) {
        let plain: unknown = null
        if (typeof o.plaintext === 'string') plain = JSON.parse(o.plaintext)
        else if (typeof o.ciphertext === 'string') {
          const bytes = await this.stacks.decrypt(stack, Buffer.from(o.ciphertext, 'base64'))
          plain = JSON.parse(bytes.toString('utf8'))
        }
        return { ...(await this.toValue(stack, plain)), secret: true }
      }
      const out: Record<string, EscValue> = {}
      for (const [k, e] of Object.entries(o)) out[k] = await this.toValue(stack, e)
      return { value: out }
    }
    return fromJSON(v)
  }
}
