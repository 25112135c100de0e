// A stack for the console suites: created through the API, with a root whose outputs hold one plain value and one
// service-encrypted secret, plus the given resources, imported as the CLI imports state.
import type { CliClient } from '../support/cli-client.js'
import { deploymentWith, importDeployment, stackResource } from '../support/state.js'
import { type StackId, stackPath } from '../support/update-driver.js'

export async function seedStack(
  client: CliClient,
  stack: StackId,
  outputs: { plain: [string, string]; secret: [string, string] },
  resources: (rootUrn: string) => Record<string, unknown>[],
): Promise<void> {
  const api = stackPath(stack)
  await client.call('POST', `/api/stacks/${stack.org}/${stack.project}`, { body: { stackName: stack.stack } })
  const encrypted = await client.call<{ ciphertext: string }>('POST', `${api}/encrypt`, {
    body: { plaintext: Buffer.from(JSON.stringify(outputs.secret[1])).toString('base64') },
  })
  const root = stackResource(stack.project, stack.stack, {
    [outputs.plain[0]]: outputs.plain[1],
    // sdk/go/common/resource/properties.go :: SecretSig
    [outputs.secret[0]]: {
      '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270',
      ciphertext: encrypted.body.ciphertext,
    },
  })
  await importDeployment(client, api, deploymentWith([root, ...resources(root.urn)]))
}
