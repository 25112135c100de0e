// A plain round-robin load balancer in front of several replicas (nothing sticky), seen through the CLI's own retry:
// a request that fails without an answer (connection refused or reset: the replica died) or with a 5xx is sent
// again, up to 5 attempts, and the balancer hands it to the next replica (httputil/http.go :: doWithRetry, which
// pulumiAPICall uses for every call with a rewindable body). Like a balancer's passive health check (nginx
// max_fails/fail_timeout), a replica that refused a connection is skipped for a moment.
import { setTimeout as sleep } from 'node:timers/promises'
import { type CallOptions, CliApiError, CliClient, type CliResponse } from './cli-client.js'

const MAX_ATTEMPTS = 5
const FAIL_TIMEOUT_MS = 1000

export class RoundRobin extends CliClient {
  #next = 0
  readonly #downUntil = new Map<string, number>()
  /** Requests sent again after a failed attempt, by the cause of the failure. */
  readonly retries = { connection: 0, status5xx: 0 }

  /** `replicas` is read at every call, so a test may swap a restarted replica in. */
  constructor(private readonly replicas: () => CliClient[]) {
    const first = replicas()[0]
    super(first?.baseUrl ?? '', first?.token ?? '')
  }

  override async call<T = unknown>(
    method: string,
    path: string,
    options?: CallOptions,
  ): Promise<CliResponse<T>> {
    for (let attempt = 1; ; attempt++) {
      const client = this.#pick()
      try {
        return await client.call<T>(method, path, options)
      } catch (error) {
        const answered = error instanceof CliApiError
        if (!answered) this.#downUntil.set(client.baseUrl, Date.now() + FAIL_TIMEOUT_MS)
        if ((answered && error.status < 500) || attempt >= MAX_ATTEMPTS) throw error
        if (answered) this.retries.status5xx++
        else this.retries.connection++
        // retry.Until's first delays (100 ms, ×1.5 each), kept short here.
        await sleep(20 * attempt)
      }
    }
  }

  /** The next replica not marked down (any, when all are). */
  #pick(): CliClient {
    const clients = this.replicas()
    const now = Date.now()
    for (let i = 0; i < clients.length; i++) {
      const client = clients[this.#next++ % clients.length] as CliClient
      if ((this.#downUntil.get(client.baseUrl) ?? 0) <= now) return client
    }
    return clients[this.#next++ % clients.length] as CliClient
  }
}
