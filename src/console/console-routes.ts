import type { FastifyRequest } from 'fastify'
import type { ResourceV3 } from '../apitype/core.js'
import { auditScope } from '../audit/audit-scope.js'
import { InvalidError, NotFoundError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import type { RouteDeps } from '../http/route-table.js'
import { clearedSessionCookie, sessionCookie } from '../http/session-cookie.js'
import type { Authenticator } from '../identity/authenticator.js'
import type { Clock } from '../lib/clock.js'
import { parseDecimalInteger } from '../lib/decimal.js'
import type { SecretsService } from '../secrets/secrets-service.js'
import type { Stack, StackRef } from '../stacks/stack.js'
import { parseUntypedDeployment } from '../state/deployment.js'
import { diffStates } from '../state/state-diff.js'
import { parseEngineEventFilter } from '../updates/engine-event-filter.js'
import { EngineEventReader } from '../updates/engine-event-reader.js'
import type { Update } from '../updates/update.js'
import { consoleAdminRoutes } from './console-admin-routes.js'
import { CONSOLE_CSS, CONSOLE_JS } from './console-assets.js'
import { authorizeConsole, type ConsoleAction } from './console-authorization.js'
import {
  formOf,
  frameOf,
  pageRegistrar,
  queryOf,
  requireAllowed as requireAllowedBy,
  userFrame,
  userOf,
} from './console-page.js'
import { consoleOperation } from './console-route.js'
import { checkCsrf, checkOrigin, isHttps } from './console-session.js'
import { consoleTokenRoutes } from './console-token-routes.js'
import { ConsoleFlash } from './flash/console-flash.js'
import type { FlashStore } from './flash/flash-store.js'
import { diffPage } from './pages/diff-page.js'
import { graphPage } from './pages/graph-page.js'
import { historyPage } from './pages/history-page.js'
import type { ResourceView } from './pages/resource-tree.js'
import { signinPage } from './pages/signin-page.js'
import { SECRET_SIG, stackPage, stackPath } from './pages/stack-page.js'
import { type StackRow, stacksPage } from './pages/stacks-page.js'
import { updateLogPage } from './pages/update-log-page.js'
import { setConsoleHeaders } from './security-headers.js'
import { type LogLine, renderEngineEvents } from './update-log/engine-event-text.js'

/** The API's services (design.md §3: no second implementation), plus what signing in needs. */
export type ConsoleDeps = Pick<
  RouteDeps,
  'tokens' | 'stacks' | 'state' | 'secrets' | 'updates' | 'updateStore' | 'logs' | 'access' | 'auditQuery'
> & {
  /** One-time messages (the new token after POST-redirect-GET). */
  flashes: FlashStore
  /** The auth mode's authenticator: a pasted token is checked exactly as `Authorization: token …` is. */
  authenticator: Authenticator
  /** The identity provider's browser login (/login), in oidc and google modes when it is configured. */
  idpLogin: { providerName: string } | undefined
  clock: Clock
  /** How often the live log looks for new stored events. */
  livePollMs?: number
}

type StackParams = { org: string; project: string; stack: string }
const STACK = '/:org/:project/:stack'
const MAX_HISTORY = 200

/** The web console: server-rendered pages over the same services as the API (design.md §3). */
export function consoleRoutes(app: HttpServer, deps: ConsoleDeps): void {
  // Live logs end when the server shuts down, or a watched running update would hold the shutdown open.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  const events = new EngineEventReader({ logs: deps.logs, pageSize: 1000, maxScanned: 20_000 })
  const unfiltered = parseEngineEventFilter({})
  const flash = new ConsoleFlash(deps.flashes, deps.clock)

  const page = pageRegistrar(app)
  const refOf = (request: FastifyRequest): StackRef => {
    const p = request.params as StackParams
    return { org: p.org, project: p.project, stack: p.stack }
  }
  const requireAllowed = (request: FastifyRequest, action: ConsoleAction, ref?: StackRef) =>
    requireAllowedBy(deps.access, request, action, ref)
  const query = queryOf

  for (const [name, type, text] of [
    ['console.css', 'text/css', CONSOLE_CSS],
    ['console.js', 'text/javascript', CONSOLE_JS],
  ] as const) {
    app.route({
      method: 'GET',
      url: `/console/assets/${name}`,
      config: { operationId: consoleOperation(`asset ${name}`), permission: 'public', auth: 'public' },
      handler: async (_request, reply) => {
        setConsoleHeaders(reply)
        return reply.header('cache-control', 'public, max-age=300').type(`${type}; charset=utf-8`).send(text)
      },
    })
  }

  page('GET', '/signin', 'signin', 'public', async () => signinPage(deps.idpLogin))

  page('POST', '/signin', 'signin submit', 'public', async (request, reply) => {
    checkOrigin(request)
    const token = formOf(request).get('token')?.trim() ?? ''
    // The same identity check as every API call (Authorization: token …), and like theirs (authentication runs
    // before the handler) outside the request's audit scope: recording the token's last use is housekeeping, not
    // the audited change, and the write guard refused it there (a never-used token could not sign in).
    const user = token
      ? await auditScope.exit(() => deps.authenticator.authenticate(token)).catch(() => undefined)
      : undefined
    if (!user) {
      reply.code(401)
      return signinPage(deps.idpLogin, 'That token is not valid on this server.')
    }
    void reply.header('set-cookie', sessionCookie(token, isHttps(request))).redirect('/stacks', 303)
    return undefined
  })

  page('POST', '/signout', 'signout', 'session', async (request, reply) => {
    checkCsrf(request, formOf(request))
    void reply.header('set-cookie', clearedSessionCookie(isHttps(request))).redirect('/signin', 303)
    return undefined
  })

  consoleTokenRoutes(page, { tokens: deps.tokens, clock: deps.clock, flash })
  consoleAdminRoutes(page, { ...deps, flash })

  page('GET', '/stacks', 'stacks', 'session', async (request) => {
    await requireAllowed(request, 'stack:read')
    const q = query(request)
    const filter = { q: q.q ?? '', org: q.org ?? '', project: q.project ?? '', tag: q.tag ?? '' }
    const [tagName, tagValue] = filter.tag.split('=', 2)
    const rows: StackRow[] = []
    let continuationToken: string | undefined
    do {
      const found = await deps.stacks.list({
        org: filter.org || undefined,
        project: filter.project || undefined,
        tagName: tagName || undefined,
        tagValue: tagValue || undefined,
        continuationToken,
      })
      // Only the stacks the caller may read, `--teams` grants included: the same decision (and one grants query
      // a page) as GET /api/user/stacks (stack-routes.ts).
      for (const stack of await deps.access.readable(userOf(request), found.stacks)) {
        if (filter.q && !`${stack.org}/${stack.project}/${stack.name}`.includes(filter.q)) continue
        const lastUpdate = stack.lastUpdateId ? await deps.updateStore.get(stack.lastUpdateId) : undefined
        rows.push({ stack, lastUpdate })
      }
      continuationToken = found.continuationToken
    } while (continuationToken)
    rows.sort((a, b) => (b.stack.lastUpdateAt ?? 0) - (a.stack.lastUpdateAt ?? 0))
    return stacksPage(rows, filter, frameOf(request))
  })

  const showStack = async (request: FastifyRequest, revealed: boolean) => {
    const ref = refOf(request)
    await requireAllowed(request, 'stack:read', ref)
    const stack = await deps.stacks.get(ref)
    const resources = (await resourcesAt(stack, undefined)).map(toView)
    const root = resources.find((r) => r.type === 'pulumi:pulumi:Stack' && !r.parent)
    let outputs = root?.outputs ?? {}
    if (revealed) outputs = await revealSecrets(deps.secrets, stack.id, outputs)
    const [lastUpdate] = await deps.updateStore.history(stack.id, 1, 1)
    const running = stack.lockedByUpdate ? await deps.updateStore.get(stack.lockedByUpdate) : undefined
    const q = query(request)
    return stackPage(
      {
        stack,
        resources,
        outputs,
        revealed,
        lastUpdate,
        running,
        filter: q.filter ?? '',
        selectedUrn: q.urn,
        canWrite: await authorizeConsole(deps.access, userOf(request), 'stack:write', ref),
        now: deps.clock.now(),
      },
      userFrame(request),
    )
  }

  page('GET', STACK, 'stack', 'session', (request) => showStack(request, false))

  page('POST', `${STACK}/reveal`, 'reveal outputs', 'session', async (request) => {
    checkCsrf(request, formOf(request))
    await requireAllowed(request, 'stack:reveal-secrets', refOf(request))
    request.log.info(
      {
        audit: true,
        actor: userOf(request).login,
        action: 'console.revealOutputs',
        resource: refOf(request),
      },
      'audit',
    )
    return showStack(request, true)
  })

  page('POST', `${STACK}/tags`, 'tags', 'session', async (request, reply) => {
    const form = formOf(request)
    checkCsrf(request, form)
    const ref = refOf(request)
    await requireAllowed(request, 'stack:write', ref)
    await deps.stacks.setTags(ref, parseTagLines(form.get('tags') ?? ''))
    void reply.redirect(stackPath(await deps.stacks.get(ref)), 303)
    return undefined
  })

  page('POST', `${STACK}/cancel`, 'cancel update', 'session', async (request, reply) => {
    const form = formOf(request)
    checkCsrf(request, form)
    const ref = refOf(request)
    await requireAllowed(request, 'update:cancel', ref)
    if (form.get('confirm') !== 'yes')
      throw new InvalidError('Bad Request: tick the confirmation to cancel the update')
    await deps.updates.cancel(ref, form.get('update') ?? '')
    request.log.info(
      { audit: true, actor: userOf(request).login, action: 'console.cancelUpdate', resource: ref },
      'audit',
    )
    void reply.redirect(stackPath(await deps.stacks.get(ref)), 303)
    return undefined
  })

  page('GET', `${STACK}/export`, 'export', 'session', async (request, reply) => {
    const ref = refOf(request)
    await requireAllowed(request, 'stack:read', ref)
    const stack = await deps.stacks.get(ref)
    const { bytes } = await deps.state.exportDeployment(stack, undefined, false)
    void reply
      .type('application/json')
      .header('content-disposition', `attachment; filename="${stack.project}-${stack.name}.json"`)
      .send(bytes)
    return undefined
  })

  // The state of a version through the export path (the same checks as `pulumi stack export --version`).
  const resourcesAt = async (stack: Stack, version: number | undefined): Promise<ResourceV3[]> => {
    const { bytes } = await deps.state.exportDeployment(stack, version, false)
    return parseUntypedDeployment(bytes).deployment?.resources ?? []
  }

  page('GET', `${STACK}/graph`, 'dependency graph', 'session', async (request) => {
    const ref = refOf(request)
    await requireAllowed(request, 'stack:read', ref)
    const stack = await deps.stacks.get(ref)
    return graphPage(stack, (await resourcesAt(stack, undefined)).map(toView), frameOf(request))
  })

  page('GET', `${STACK}/diff`, 'version diff', 'session', async (request) => {
    const ref = refOf(request)
    await requireAllowed(request, 'stack:read', ref)
    const stack = await deps.stacks.get(ref)
    const q = query(request)
    const to = q.to ? parseDecimalInteger(q.to, 0) : stack.version
    const from = q.from ? parseDecimalInteger(q.from, 0) : Math.max(0, (to ?? 1) - 1)
    if (from === undefined || to === undefined) {
      throw new InvalidError('Bad Request: versions to compare are whole numbers from 0')
    }
    const [before, after] = await Promise.all([versionResources(stack, from), versionResources(stack, to)])
    return diffPage(stack, { from, to }, diffStates(before, after), frameOf(request))
  })
  // Version 0 is the empty state before the first update.
  const versionResources = (stack: Stack, version: number) =>
    version === 0 ? Promise.resolve([]) : resourcesAt(stack, version)

  page('GET', `${STACK}/updates`, 'history', 'session', async (request) => {
    const ref = refOf(request)
    await requireAllowed(request, 'stack:read', ref)
    const stack = await deps.stacks.get(ref)
    return historyPage(stack, await deps.updateStore.history(stack.id, 1, MAX_HISTORY), frameOf(request))
  })

  const updateAt = async (request: FastifyRequest) => {
    const ref = refOf(request)
    await requireAllowed(request, 'stack:read', ref)
    const stack = await deps.stacks.get(ref)
    const raw = (request.params as { version: string }).version
    const version = parseDecimalInteger(raw, 1)
    const update = version === undefined ? undefined : await deps.updateStore.byVersion(stack.id, version)
    if (!update) throw new NotFoundError(`Not Found: stack '${ref.stack}' has no version ${raw}`)
    return { stack, update }
  }
  const logOf = async (update: Update): Promise<LogLine[]> => {
    const texts: string[] = []
    for (let after = -1; ; ) {
      const found = await events.page(update.id, after, unfiltered)
      texts.push(...found.events)
      after = found.lastSequence
      if (found.exhausted) break
    }
    return renderEngineEvents(texts)
  }

  page('GET', `${STACK}/updates/:version`, 'update log', 'session', async (request) => {
    const { stack, update } = await updateAt(request)
    return updateLogPage(stack, update, await logOf(update), frameOf(request))
  })

  // Live log (server-sent events): the lines rendered since the page, until the update ends. Each poll reads the
  // database, so any replica can serve the stream.
  page('GET', `${STACK}/updates/:version/stream`, 'update log stream', 'session', async (request, reply) => {
    const { update } = await updateAt(request)
    let sent = (await logOf(update)).length
    reply.hijack()
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    })
    // Send the headers now: events are stored before each batch is acknowledged, so the first polls may find
    // nothing new, and a client waiting for headers that only come with the first write would never see any.
    reply.raw.write(': live\n\n')
    let open = true
    reply.raw.on('close', () => {
      open = false
    })
    while (open && !closing) {
      const current = (await deps.updateStore.get(update.id)) ?? update
      const lines = await logOf(current)
      if (lines.length > sent) reply.raw.write(`event: lines\ndata: ${JSON.stringify(lines.slice(sent))}\n\n`)
      sent = lines.length
      if (current.status !== 'running' && current.status !== 'not started') {
        reply.raw.write(`event: done\ndata: ${current.status}\n\n`)
        break
      }
      await new Promise((resolve) => setTimeout(resolve, deps.livePollMs ?? 1000))
    }
    reply.raw.end()
    return undefined
  })
}

function toView(r: ResourceV3): ResourceView {
  return {
    urn: r.urn,
    type: r.type,
    id: r.id ?? '',
    parent: r.parent ?? '',
    provider: r.provider ?? '',
    inputs: r.inputs ?? {},
    outputs: (r as { outputs?: Record<string, unknown> }).outputs ?? {},
    dependencies: r.dependencies ?? [],
  }
}

async function revealSecrets(
  secrets: SecretsService,
  stackId: string,
  value: unknown,
): Promise<Record<string, unknown>> {
  const walk = async (v: unknown): Promise<unknown> => {
    if (Array.isArray(v)) return Promise.all(v.map(walk))
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>
      if (o[SECRET_SIG] !== undefined) {
        if (typeof o.ciphertext === 'string') {
          const [plain] = await secrets.decrypt(stackId, [Buffer.from(o.ciphertext, 'base64')])
          return plain ? parseJsonOr(plain.toString('utf8')) : null
        }
        return o.plaintext !== undefined ? parseJsonOr(String(o.plaintext)) : o.value
      }
      const out: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(o)) out[k] = await walk(x)
      return out
    }
    return v
  }
  return (await walk(value)) as Record<string, unknown>
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function parseTagLines(text: string): Record<string, string> {
  const tags: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue
    const eq = line.indexOf('=')
    if (eq < 0) throw new InvalidError(`Bad Request: tag line '${line.trim()}' has no '='; write name=value`)
    tags[line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
  }
  return tags
}
