import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { StartupError } from '../../src/app.js'
import { OtlpGrpcReceiver } from '../support/otlp-grpc-receiver.js'
import { jsonSpans, OtlpReceiver } from '../support/otlp-receiver.js'
import { deploymentWith, importDeployment, stackResource } from '../support/state.js'
import { startTestServer } from '../support/test-server.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_ID = '00f067aa0ba902b7'

describe('tracing over OTLP/HTTP (-otel-service-name, standard OTEL_EXPORTER_OTLP_* variables)', () => {
  const receiver = new OtlpReceiver()
  before(async () => {
    await receiver.start()
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = receiver.endpoint
  })
  after(() => receiver.close())

  it('exports a server span per request, named by route and CLI operation, continuing the caller trace, with database transaction spans inside', async () => {
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json'
    receiver.exports.length = 0
    const server = await startTestServer({ args: ['-otel-service-name=pulumi-backend-test'] })
    try {
      await server.client.call('POST', '/api/stacks/acme/web', {
        body: { stackName: 'dev' },
        headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
      })
      await importDeployment(
        server.client,
        '/api/stacks/acme/web/dev',
        deploymentWith([stackResource('web', 'dev')]),
      )
      await server.client.call('GET', '/api/stacks/acme/web/nope').catch(() => {})
    } finally {
      await server.close()
    }
    assert.ok(receiver.exports.every((e) => e.contentType.startsWith('application/json')))
    const spans = jsonSpans(receiver.exports)
    assert.ok(spans.every((s) => s.service === 'pulumi-backend-test'))

    const create = spans.find((s) => s.attributes['pulumi.operation'] === 'createStack')
    assert.ok(create, `spans: ${spans.map((s) => s.name).join(', ')}`)
    assert.equal(create.name, 'POST /api/stacks/{orgName}/{projectName}')
    assert.equal(create.kind, 2, 'SERVER')
    assert.equal(create.attributes['http.route'], '/api/stacks/{orgName}/{projectName}')
    assert.equal(Number(create.attributes['http.response.status_code']), 200)
    assert.equal(create.traceId, TRACE_ID, 'W3C traceparent continued')
    assert.equal(create.parentSpanId, PARENT_ID)

    const importSpan = spans.find((s) => s.attributes['pulumi.operation'] === 'importStack')
    assert.ok(importSpan)
    const transactions = spans.filter((s) => s.name === 'db.transaction')
    assert.ok(
      transactions.some((t) => t.traceId === importSpan.traceId && t.parentSpanId === importSpan.spanId),
      'the import wrote in a transaction span under its request span',
    )
    const missing = spans.find((s) => s.attributes['pulumi.operation'] === 'getStack')
    assert.equal(Number(missing?.attributes['http.response.status_code']), 404)
  })

  it('speaks http/protobuf by default', async () => {
    delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL
    receiver.exports.length = 0
    const server = await startTestServer({ args: ['-otel-service-name=pulumi-backend-proto'] })
    try {
      await server.client.call('GET', '/api/user')
    } finally {
      await server.close()
    }
    assert.ok(receiver.exports.length > 0)
    const [first] = receiver.exports
    assert.equal(first?.contentType, 'application/x-protobuf')
    // Protobuf strings are stored as they are: the service and the operation name are in the message.
    assert.ok(first?.body.includes('pulumi-backend-proto'))
    assert.ok(first?.body.includes('getCurrentUser'))
  })

  it('refuses an unknown OTLP protocol with what to set instead', async () => {
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'carrier-pigeon'
    try {
      await assert.rejects(startTestServer({ args: ['-otel-service-name=x'] }), (error: unknown) => {
        assert.ok(error instanceof StartupError)
        assert.match(
          error.message,
          /OTLP protocol "carrier-pigeon" is not supported; set OTEL_EXPORTER_OTLP_PROTOCOL to http\/protobuf, http\/json, grpc/,
        )
        return true
      })
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL
    }
  })
})

describe('tracing over OTLP/gRPC (OTEL_EXPORTER_OTLP_PROTOCOL=grpc, a collector port 4317)', () => {
  const receiver = new OtlpGrpcReceiver()
  const saved = { ...process.env }
  before(async () => {
    await receiver.start()
  })
  after(async () => {
    for (const name of [
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
      'OTEL_EXPORTER_OTLP_HEADERS',
    ]) {
      if (saved[name] === undefined) delete process.env[name]
      else process.env[name] = saved[name]
    }
    await receiver.close()
  })

  it('exports server spans with the CLI operation and database transaction spans, signal-specific protocol winning', async () => {
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = receiver.endpoint
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json'
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = 'grpc'
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-tenant=acme'
    const server = await startTestServer({ args: ['-otel-service-name=pulumi-backend-grpc'] })
    try {
      await server.client.call('POST', '/api/stacks/acme/web', {
        body: { stackName: 'dev' },
        headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
      })
      await server.client.call('GET', '/api/user')
    } finally {
      await server.close()
      delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL
    }
    const spans = receiver.spans
    assert.ok(spans.length > 0, 'spans arrived over gRPC')
    assert.ok(spans.every((s) => s.service === 'pulumi-backend-grpc'))
    const create = spans.find((s) => s.attributes['pulumi.operation'] === 'createStack')
    assert.ok(create, `spans: ${spans.map((s) => s.name).join(', ')}`)
    assert.equal(create.name, 'POST /api/stacks/{orgName}/{projectName}')
    assert.equal(create.kind, 2, 'SERVER')
    assert.equal(create.traceId, TRACE_ID)
    assert.equal(create.parentSpanId, PARENT_ID)
    assert.ok(spans.some((s) => s.attributes['pulumi.operation'] === 'getCurrentUser'))
    assert.ok(
      spans.some((s) => s.name === 'db.transaction' && s.parentSpanId === create.spanId),
      'the stack was created in a transaction span under its request span',
    )
    assert.ok(
      receiver.metadata.every((m) => m.get('x-tenant')[0] === 'acme'),
      'OTEL_EXPORTER_OTLP_HEADERS sent',
    )
  })
})
