import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Span } from '@opentelemetry/api'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import type { FastifyRequest } from 'fastify'
import { routeTemplate } from '../http/route-template.js'
import type { SpanRunner } from './spans.js'

export interface Tracing extends SpanRunner {
  /** Makes every request on `server` a server span, and the context of everything done while answering it. */
  instrument(server: Server): void
  /** Names the request's span after its route and CLI operation once routing is known (an onResponse hook). */
  describe(request: FastifyRequest, status: number): void
  /** Sends the spans still buffered. */
  shutdown(): Promise<void>
}

/** Which OTLP encoding the standard variables ask for (the OpenTelemetry default is http/protobuf). */
export function otlpProtocol(env: Record<string, string | undefined>): string {
  return env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf'
}

/** The OTLP encodings this server exports (the OpenTelemetry spec's names for OTEL_EXPORTER_OTLP_PROTOCOL). */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const

/** The official exporter for `protocol`; only the configured one is loaded (gRPC pulls in @grpc/grpc-js). */
function loadExporter(protocol: string): Promise<{ OTLPTraceExporter: new () => SpanExporter }> {
  if (protocol === 'grpc') return import('@opentelemetry/exporter-trace-otlp-grpc')
  if (protocol === 'http/json') return import('@opentelemetry/exporter-trace-otlp-http')
  return import('@opentelemetry/exporter-trace-otlp-proto')
}

/**
 * -otel-service-name: OpenTelemetry traces over OTLP, configured by the standard OTEL_EXPORTER_OTLP_* variables
 * (endpoint, headers, protocol http/protobuf, http/json or grpc, TLS files; OTEL_BSP_* batching). W3C `traceparent` from callers is
 * honoured. The SDK is loaded only here, when tracing is on. (The Go server exports OTLP/gRPC with otelhttp and
 * otelsql, so `grpc` keeps its collectors' port 4317 working; here a server span per request carries the CLI's operation name, and a child span per database
 * transaction.)
 */
export async function startTracing(
  serviceName: string,
  env: Record<string, string | undefined>,
): Promise<Tracing> {
  const protocol = otlpProtocol(env)
  const [api, core, sdk, resources, contextHooks, exporters] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/context-async-hooks'),
    loadExporter(protocol),
  ])
  // The context manager is process-wide by OpenTelemetry's design (async context follows the request); the tracer
  // provider is not registered globally, so two servers in one process (tests) keep their own.
  api.context.setGlobalContextManager(new contextHooks.AsyncLocalStorageContextManager().enable())
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new sdk.BatchSpanProcessor(new exporters.OTLPTraceExporter())],
  })
  const tracer = provider.getTracer('pulumi-backend')
  const propagator = new core.W3CTraceContextPropagator()
  const spans = new WeakMap<IncomingMessage, Span>()

  return {
    instrument(server) {
      // Wrap Fastify's request listener so hooks, handler and database work all run inside the span's context.
      const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[]
      server.removeAllListeners('request')
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        const parent = propagator.extract(api.context.active(), req.headers, api.defaultTextMapGetter)
        const span = tracer.startSpan(
          req.method ?? 'HTTP',
          {
            kind: api.SpanKind.SERVER,
            attributes: {
              'http.request.method': req.method ?? '',
              'url.path': (req.url ?? '').split('?')[0] ?? '',
            },
          },
          parent,
        )
        spans.set(req, span)
        // Normally `describe` ends the span; a request aborted before routing or answering ends it here.
        res.once('close', () =>
          setImmediate(() => {
            if (spans.delete(req)) span.end()
          }),
        )
        api.context.with(api.trace.setSpan(parent, span), () => {
          for (const listener of listeners) listener(req, res)
        })
      })
    },
    describe(request, status) {
      const span = spans.get(request.raw)
      if (!span) return
      spans.delete(request.raw)
      const route = request.routeOptions.url && routeTemplate(request.routeOptions.url)
      const operation = request.routeOptions.config.operationId
      if (route) span.updateName(`${request.method} ${route}`).setAttribute('http.route', route)
      if (operation) span.setAttribute('pulumi.operation', operation)
      span.setAttribute('http.response.status_code', status)
      if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR })
      span.end()
    },
    async child(name, attributes, work) {
      if (!api.trace.getActiveSpan()) return work()
      return tracer.startActiveSpan(name, { attributes }, async (span) => {
        try {
          return await work()
        } catch (error) {
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: (error as Error).name })
          throw error
        } finally {
          span.end()
        }
      })
    },
    shutdown: () => provider.shutdown(),
  }
}
