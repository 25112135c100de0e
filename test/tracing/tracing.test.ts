import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { StartupError } from '../../src/app.js'
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

  it('refuses OTLP/gRPC with what to set instead', async () => {
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc'
    try {
      await assert.rejects(startTestServer({ args: ['-otel-service-name=x'] }), (error: unknown) => {
        assert.ok(error instanceof StartupError)
        assert.match(
          error.message,
          /OTLP protocol "grpc" is not supported; set OTEL_EXPORTER_OTLP_PROTOCOL=http\/protobuf/,
        )
        return true
      })
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL
    }
  })
})
