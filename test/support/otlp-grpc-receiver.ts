import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import type { ExportedSpan } from './otlp-receiver.js'

// The part of OTLP's trace protos (opentelemetry-proto: collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
// resource/v1/resource.proto, common/v1/common.proto) a test reads, with the spec's field numbers. Message names
// do not travel on the wire, so all live in the service's package here; only the service path must be exact.
const field = (id: number, type: string, rule?: 'repeated') => ({ id, type, ...(rule && { rule }) })
const OTLP_TRACE_SUBSET = {
  nested: {
    opentelemetry: {
      nested: {
        proto: {
          nested: {
            collector: {
              nested: {
                trace: {
                  nested: {
                    v1: {
                      nested: {
                        TraceService: {
                          methods: {
                            Export: {
                              requestType: 'ExportTraceServiceRequest',
                              responseType: 'ExportTraceServiceResponse',
                            },
                          },
                        },
                        ExportTraceServiceRequest: {
                          fields: { resourceSpans: field(1, 'ResourceSpans', 'repeated') },
                        },
                        ExportTraceServiceResponse: { fields: {} },
                        ResourceSpans: {
                          fields: {
                            resource: field(1, 'Resource'),
                            scopeSpans: field(2, 'ScopeSpans', 'repeated'),
                          },
                        },
                        Resource: { fields: { attributes: field(1, 'KeyValue', 'repeated') } },
                        ScopeSpans: { fields: { spans: field(2, 'Span', 'repeated') } },
                        Span: {
                          fields: {
                            traceId: field(1, 'bytes'),
                            spanId: field(2, 'bytes'),
                            parentSpanId: field(4, 'bytes'),
                            name: field(5, 'string'),
                            kind: field(6, 'int32'),
                            attributes: field(9, 'KeyValue', 'repeated'),
                          },
                        },
                        KeyValue: { fields: { key: field(1, 'string'), value: field(2, 'AnyValue') } },
                        AnyValue: {
                          oneofs: {
                            value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue'] },
                          },
                          fields: {
                            stringValue: field(1, 'string'),
                            boolValue: field(2, 'bool'),
                            intValue: field(3, 'int64'),
                            doubleValue: field(4, 'double'),
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
}

type KeyValue = { key: string; value?: Record<string, unknown> & { value?: string } }
interface ExportRequest {
  resourceSpans: {
    resource?: { attributes: KeyValue[] }
    scopeSpans: {
      spans: {
        traceId: Buffer
        spanId: Buffer
        parentSpanId: Buffer
        name: string
        kind: number
        attributes: KeyValue[]
      }[]
    }[]
  }[]
}

/** A local OTLP/gRPC trace receiver (what an OpenTelemetry Collector's port 4317 does): decodes every export. */
export class OtlpGrpcReceiver {
  readonly spans: ExportedSpan[] = []
  /** The metadata (gRPC headers) of every export, e.g. to see OTEL_EXPORTER_OTLP_HEADERS arrive. */
  readonly metadata: grpc.Metadata[] = []
  readonly #server = new grpc.Server()
  endpoint = ''

  async start(): Promise<void> {
    const definition = protoLoader.fromJSON(OTLP_TRACE_SUBSET as Parameters<typeof protoLoader.fromJSON>[0], {
      longs: String,
      defaults: true,
      oneofs: true,
    })
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      opentelemetry: {
        proto: { collector: { trace: { v1: { TraceService: { service: grpc.ServiceDefinition } } } } }
      }
    }
    this.#server.addService(loaded.opentelemetry.proto.collector.trace.v1.TraceService.service, {
      export: (call: grpc.ServerUnaryCall<ExportRequest, unknown>, done: grpc.sendUnaryData<unknown>) => {
        this.metadata.push(call.metadata)
        this.#collect(call.request)
        done(null, {})
      },
    })
    const port = await new Promise<number>((resolve, reject) =>
      this.#server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    )
    this.endpoint = `http://127.0.0.1:${port}`
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.tryShutdown(() => resolve()))
  }

  #collect(request: ExportRequest): void {
    const attrs = (list: KeyValue[] = []) =>
      Object.fromEntries(list.map((a) => [a.key, a.value?.value ? a.value[a.value.value] : undefined]))
    const hex = (bytes: Buffer) => Buffer.from(bytes).toString('hex')
    for (const resourceSpans of request.resourceSpans) {
      const service = String(attrs(resourceSpans.resource?.attributes)['service.name'])
      for (const scope of resourceSpans.scopeSpans) {
        for (const span of scope.spans) {
          this.spans.push({
            name: span.name,
            kind: span.kind,
            traceId: hex(span.traceId),
            spanId: hex(span.spanId),
            ...(span.parentSpanId.length > 0 && { parentSpanId: hex(span.parentSpanId) }),
            attributes: attrs(span.attributes),
            service,
          })
        }
      }
    }
  }
}
