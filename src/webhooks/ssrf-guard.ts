import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP } from 'node:net'

// Addresses a webhook must not reach unless -webhook-allow-private: loopback, private, link-local (cloud metadata),
// carrier-grade NAT, unspecified, multicast and their IPv6 counterparts (IPv4-mapped IPv6 is unwrapped first).
const PRIVATE = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6')

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  if (mapped) return PRIVATE.check(mapped, 'ipv4')
  const family = isIP(address)
  if (family === 0) return true
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

export class RefusedTargetError extends Error {
  override name = 'RefusedTargetError'
}

/** The reason a literal-IP host is refused, or undefined (host names are checked at connect, see guardedLookup). */
export function refusedLiteral(hostname: string, allowPrivate: boolean): string | undefined {
  const host = hostname.replace(/^\[|\]$/g, '')
  if (allowPrivate || isIP(host) === 0 || !isPrivateAddress(host)) return undefined
  return `the address ${host} is private, loopback or link-local (start the server with -webhook-allow-private to allow it)`
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/**
 * A `lookup` for http.request that refuses private answers: the check happens on the very addresses the socket
 * connects to, so a DNS name cannot pass the check and then rebind to an internal address.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, [])
      const list = addresses as LookupAddress[]
      const refused = allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address))
      if (refused) {
        return callback(
          new RefusedTargetError(
            `${hostname} resolves to ${refused.address}, a private, loopback or link-local address (start the server with -webhook-allow-private to allow it)`,
          ),
          [],
        )
      }
      const all = (options as { all?: boolean }).all
      const first = list[0]
      if (all) return callback(null, list)
      if (!first) return callback(new RefusedTargetError(`${hostname} has no address`), [])
      callback(null, first.address, first.family)
    })
  }
}
