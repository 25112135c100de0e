// ESC workload: open of an environment importing 10 others with 1,000 values in all, and `yaml/open` + read as
// `pulumi up` does it for a stack with `environment:` (pkg/backend/httpstate/environments.go).
import { withServer } from './server.js'
import { type KindStats, Recorder } from './stats.js'

export interface EscResult {
  environments: number
  values: number
  open: KindStats | undefined
  openServer: KindStats | undefined
  read: KindStats | undefined
  yamlOpen: KindStats | undefined
  yamlOpenServer: KindStats | undefined
}

const ENVS = '/api/esc/environments/acme'

export async function escWorkload(iterations: number): Promise<EscResult> {
  return withServer([], async (server) => {
    const setup = new Recorder(server.client, false)
    const imports: string[] = []
    for (let e = 0; e < 10; e++) {
      await setup.call('create', 'POST', ENVS, { body: { project: 'bench', name: `part${e}` } })
      let yaml = 'values:\n'
      for (let v = 0; v < 100; v++) {
        // A mix of literals, interpolations and secrets, as real environments have.
        if (v % 10 === 0) yaml += `  v${e}_${v}:\n    fn::secret: s3cret-${e}-${v}\n`
        else if (v % 3 === 0) yaml += `  v${e}_${v}: "prefix-\${v${e}_${v - 1}}"\n`
        else yaml += `  v${e}_${v}: value-${e}-${v}\n`
      }
      yaml += `  shared:\n    part${e}: ${e}\n`
      await setup.call('update', 'PATCH', `${ENVS}/bench/part${e}`, { rawBody: Buffer.from(yaml) })
      imports.push(`bench/part${e}`)
    }
    await setup.call('create', 'POST', ENVS, { body: { project: 'bench', name: 'root' } })
    const root = `imports:\n${imports.map((i) => `  - ${i}\n`).join('')}values:\n  url: https://\${v0_1}.example.com\n`
    await setup.call('update', 'PATCH', `${ENVS}/bench/root`, { rawBody: Buffer.from(root) })

    const rec = new Recorder(server.client, false)
    for (let i = 0; i < iterations; i++) {
      const opened = await rec.call<{ id: string }>('open', 'POST', `${ENVS}/bench/root/open?duration=2h0m0s`)
      await rec.call('read', 'GET', `${ENVS}/bench/root/open/${opened.body.id}`)
      const anonymous = await rec.call<{ id: string }>(
        'yaml-open',
        'POST',
        `${ENVS}/yaml/open?duration=2h0m0s`,
        {
          rawBody: Buffer.from('imports:\n  - bench/root\n'),
        },
      )
      await rec.call('yaml-read', 'GET', `${ENVS}/yaml/open/${anonymous.body.id}`)
    }
    const stats = rec.stats()
    const server_ = rec.serverStats()
    return {
      environments: 11,
      values: 1001,
      open: stats.open,
      openServer: server_.open,
      read: stats.read,
      yamlOpen: stats['yaml-open'],
      yamlOpenServer: server_['yaml-open'],
    }
  })
}
