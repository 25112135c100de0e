import assert from 'node:assert/strict'
import type { CliClient } from './cli-client.js'
import { complete, createAndStart, createEntries, sendJournal, stackPath } from './update-driver.js'

/**
 * What `pulumi login`, `pulumi stack init`, `pulumi up` and a secret config value do, through the CLI-exact
 * client: used to show each auth mode carries a real session end to end. Returns the update's requester.
 */
export async function exerciseCliSession(cli: CliClient, org: string, stackName: string): Promise<string> {
  const user = await cli.call<{ githubLogin: string; organizations: { githubLogin: string }[] }>(
    'GET',
    '/api/user',
    {
      command: 'login',
    },
  )
  assert.ok(user.body.githubLogin)
  assert.ok(user.body.organizations.some((o) => o.githubLogin === org))

  const stack = { org, project: 'proj', stack: stackName }
  await cli.call('POST', `/api/stacks/${org}/proj`, { body: { stackName } })
  const update = await createAndStart(cli, stack)
  await sendJournal(cli, update, createEntries(stack, 2))
  await complete(cli, update)

  const plaintext = Buffer.from('s3cret').toString('base64')
  const encrypted = await cli.call<{ ciphertext: string }>('POST', `${stackPath(stack)}/encrypt`, {
    body: { plaintext },
  })
  const decrypted = await cli.call<{ plaintext: string }>('POST', `${stackPath(stack)}/decrypt`, {
    body: { ciphertext: encrypted.body.ciphertext },
  })
  assert.equal(decrypted.body.plaintext, plaintext)

  const history = await cli.call<{ updates: { requestedBy: { githubLogin: string } }[] }>(
    'GET',
    `${stackPath(stack)}/updates?pageSize=10&page=1`,
  )
  const requester = history.body.updates[0]?.requestedBy.githubLogin ?? ''
  assert.equal(requester, user.body.githubLogin, 'history names the authenticated user')
  return requester
}
