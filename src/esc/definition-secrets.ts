// Rewrites `fn::secret` in a definition's YAML, keeping everything else (comments, order, style) as written:
// plaintext -> `{ciphertext: ...}` before storing, and back for `decrypt` reads (pulumi/esc eval/crypt.go
// EncryptSecrets / DecryptSecrets). Text without anything to rewrite is returned byte-for-byte.
import { isMap, isScalar, isSeq, type Node, parseDocument, Scalar, YAMLMap } from 'yaml'
import { decodeCiphertext, encodeCiphertext } from './eval/ciphertext.js'

type Rewrite = (secret: YAMLMap, value: unknown) => Promise<boolean>

async function rewrite(source: string, onlyUnderValues: boolean, visit: Rewrite): Promise<string> {
  if (!source.includes('fn::secret')) return source
  const doc = parseDocument(source, { uniqueKeys: false, keepSourceTokens: false })
  if (doc.errors.length > 0) return source
  let changed = false
  const walk = async (node: unknown, underValues: boolean): Promise<void> => {
    if (isMap(node)) {
      const only = node.items.length === 1 ? node.items[0] : undefined
      if (
        only &&
        isScalar(only.key) &&
        only.key.value === 'fn::secret' &&
        (underValues || !onlyUnderValues)
      ) {
        if (await visit(node, only.value)) {
          changed = true
          return
        }
      }
      for (const pair of node.items) await walk(pair.value, underValues)
    } else if (isSeq(node)) {
      for (const item of node.items) await walk(item, underValues)
    }
  }
  const root = doc.contents as Node | null
  if (isMap(root)) {
    for (const pair of root.items) {
      const top = isScalar(pair.key) ? String(pair.key.value) : ''
      await walk(pair.value, top === 'values')
    }
  }
  return changed ? doc.toString({ lineWidth: 0, flowCollectionPadding: false }) : source
}

/** Replaces every plaintext `fn::secret: <string>` with its ciphertext form. */
export function encryptDefinitionSecrets(
  source: string,
  encrypt: (plaintext: Buffer) => Promise<Uint8Array>,
): Promise<string> {
  return rewrite(source, false, async (secret, value) => {
    if (!isScalar(value) || typeof value.value !== 'string') return false
    const ciphertext = encodeCiphertext(await encrypt(Buffer.from(value.value, 'utf8')))
    const replacement = new YAMLMap()
    replacement.set('ciphertext', ciphertext)
    const pair = secret.items[0]
    if (pair) pair.value = replacement
    return true
  })
}

/** Replaces `fn::secret: {ciphertext: ...}` under `values` with the plaintext. */
export function decryptDefinitionSecrets(
  source: string,
  decrypt: (ciphertext: Uint8Array) => Promise<Uint8Array>,
): Promise<string> {
  return rewrite(source, true, async (secret, value) => {
    if (!isMap(value) || value.items.length !== 1) return false
    const only = value.items[0]
    if (!only || !isScalar(only.key) || only.key.value !== 'ciphertext' || !isScalar(only.value)) return false
    const encoded = only.value.value
    if (typeof encoded !== 'string') return false
    const plaintext = Buffer.from(await decrypt(decodeCiphertext(encoded))).toString('utf8')
    const pair = secret.items[0]
    if (pair) pair.value = new Scalar(plaintext)
    return true
  })
}
