// What Prometheus metrics cost per request: the recording path timed in-process (per request: one request
// observation plus one observation per database statement, at the statements-per-request ratio a real journaled
// create shows), against the server's own handling time of the same workload. Figures only.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { recordRequest } from '../src/observability/http-metrics.js'
import { Metrics, statementKind } from '../src/observability/metrics.js'
import type { BenchServer } from './server.js'
import { Recorder } from './stats.js'
import { createStack, journaledCreate, makeStack } from './workloads.js'

export interface MetricsOverhead {
  requests: number
  statementsPerRequest: number
  /** Server-Timing median over the workload's requests, ms. */
  serverMedianMs: number
  recordRequestUs: number
  recordStatementUs: number
  perRequestUs: number
  /** perRequest as a share of the median server time. */
  sharePercent: number
  scrapeMs: number
  scrapeBytes: number
}

function sum(text: string, name: string): number {
  let total = 0
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) total += Number(line.split(' ').at(-1))
  }
  return total
}

/** Mean microseconds per call of `fn` over `n` calls, after a warm-up. */
function timeUs(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < 10_000; i++) fn(i)
  const start = performance.now()
  for (let i = 0; i < n; i++) fn(i)
  return ((performance.now() - start) * 1000) / n
}

async function scrape(url: string): Promise<{ text: string; ms: number }> {
  const start = performance.now()
  const response = await fetch(`${url}/metrics`)
  const text = await response.text()
  return { text, ms: performance.now() - start }
}

export async function metricsOverhead(server: BenchServer, resources: number): Promise<MetricsOverhead> {
  const model = makeStack({ org: 'acme', project: 'bench', stack: 'metrics' }, resources)
  await createStack(new Recorder(server.client), model.stack)
  const before = (await scrape(server.url)).text
  const rec = new Recorder(server.client)
  await journaledCreate(rec, model)
  const after = await scrape(server.url)
  const requests =
    sum(after.text, 'pulumi_backend_http_requests_total') - sum(before, 'pulumi_backend_http_requests_total')
  const statements =
    sum(after.text, 'pulumi_backend_db_query_duration_seconds_count') -
    sum(before, 'pulumi_backend_db_query_duration_seconds_count')
  const serverTimes = [...rec.serverSamples.values()].flat().sort((a, b) => a - b)
  const serverMedianMs = serverTimes[Math.floor(serverTimes.length / 2)] ?? 0

  // The same calls the server makes, on a registry of the same shape.
  const metrics = new Metrics()
  const url =
    '/api/stacks/:orgName/:projectName/:stackName/:updateKind(^(?:update|preview)$)/:updateId/journalentries'
  const request = {
    method: 'PATCH',
    routeOptions: { url, config: { operationId: 'patchJournalEntries' } },
    bodyBytes: 16_384,
  } as unknown as FastifyRequest
  const reply = { statusCode: 200, elapsedTime: 1.5 } as unknown as FastifyReply
  const recordRequestUs = timeUs(200_000, () => recordRequest(metrics, request, reply))
  const sqlText = 'insert into "journal_entries" ("update_id", "sequence_id", "entry") values (?, ?, ?)'
  const recordStatementUs = timeUs(200_000, (i) => metrics.query(statementKind(sqlText), i / 1e6))
  const statementsPerRequest = statements / Math.max(1, requests)
  const perRequestUs = recordRequestUs + statementsPerRequest * recordStatementUs
  return {
    requests,
    statementsPerRequest: Math.round(statementsPerRequest * 10) / 10,
    serverMedianMs,
    recordRequestUs: Math.round(recordRequestUs * 100) / 100,
    recordStatementUs: Math.round(recordStatementUs * 100) / 100,
    perRequestUs: Math.round(perRequestUs * 100) / 100,
    sharePercent: Math.round((perRequestUs / 1000 / Math.max(serverMedianMs, 0.001)) * 1000) / 10,
    scrapeMs: Math.round(after.ms * 10) / 10,
    scrapeBytes: Buffer.byteLength(after.text),
  }
}
