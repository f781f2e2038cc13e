import { lookup as dnsLookup } from 'node:dns/promises'

/**
 * Which webhook targets Aanwas may POST to (issue 14, finding 9: server-side request forgery).
 * A webhook is registered by an admin but its URL is fetched by the service, from inside the
 * network it runs in; without a rule it reaches the service itself, databases on loopback, the
 * private network and the cloud metadata service, and the delivery log answers like a port scan.
 *
 * The rule: the scheme is http: or https:, the URL carries no credentials, the host is not a
 * cloud metadata name, and every address the host resolves to is a public unicast address.
 * The check runs when a webhook is registered and again before each delivery, which then
 * connects to the addresses vetted here and to no others (a DNS answer that changes between the
 * check and the connection is never used). Numeric host spellings (2130706433, 0x7f000001,
 * 017700000001, 127.1) reach this module already canonical: WHATWG URL parsing turns them into
 * 127.0.0.1, and IPv6 literals into their compressed form (`::ffff:127.0.0.1` → `::ffff:7f00:1`).
 *
 * `allowPrivate` (AANWAS_WEBHOOK_ALLOW_PRIVATE, for tests and local development) lets every
 * address class through but cloud metadata; the scheme and credential rules always hold.
 */

/** What kind of address a target is; `public` is the only one allowed without allowPrivate. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unspecified'
  | 'shared'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'metadata'

/** One address a host resolves to, as `dns.lookup` gives it. */
export interface ResolvedAddress {
  address: string
  family: 4 | 6
}

/** Resolves a host name to every address it has (rejects when it has none). */
export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>

/** Why a target is refused. */
export type RefusalReason =
  'invalid_url' | 'scheme' | 'credentials' | 'metadata_host' | 'address' | 'unresolved'

/** A refused webhook target; the message names the rule and is fit for a 400 answer. */
export class WebhookTargetRefusal extends Error {
  readonly reason: RefusalReason
  /** the refused address, when the reason is `address` */
  readonly address?: string
  readonly addressClass?: AddressClass

  constructor(
    reason: RefusalReason,
    message: string,
    refused: { address?: string; addressClass?: AddressClass } = {},
  ) {
    super(message)
    this.name = 'WebhookTargetRefusal'
    this.reason = reason
    this.address = refused.address
    this.addressClass = refused.addressClass
  }
}

/** A target that passed: the URL and the only addresses a delivery may connect to. */
export interface VettedTarget {
  url: URL
  /** the host without IPv6 brackets */
  hostname: string
  addresses: ResolvedAddress[]
}

export interface VetOptions {
  /** allow loopback, private, link-local and other non-public addresses (never metadata) */
  allowPrivate: boolean
  /** DNS resolution; the system resolver (`dns.lookup`, all addresses) by default */
  lookup?: HostLookup
}

/** The system resolver, as a connection would use it (hosts file included), every address. */
export const systemLookup: HostLookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }))

/**
 * Host names of cloud metadata services (GCP, AWS, Tencent); their addresses are refused too,
 * so this list only saves a lookup and gives a clearer message.
 */
const metadataHostNames = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
])

/**
 * Metadata and credential endpoints of cloud providers: AWS, GCP, Azure, OpenStack and Oracle
 * (169.254.169.254), AWS ECS and EKS credentials (169.254.170.2, 169.254.170.23), Alibaba
 * (100.100.100.200), Oracle's older address (192.0.0.192), AWS over IPv6 (fd00:ec2::254,
 * fd00:ec2::23).
 */
const metadataAddresses = new Set([
  '169.254.169.254',
  '169.254.170.2',
  '169.254.170.23',
  '100.100.100.200',
  '192.0.0.192',
  'fd00:ec2::254',
  'fd00:ec2::23',
])

/** IPv4 ranges that are not public (IANA special-purpose registry), most specific first. */
const ipv4Ranges: ReadonlyArray<readonly [string, number, AddressClass]> = [
  ['255.255.255.255', 32, 'broadcast'],
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
]

/** The four bytes of a dotted-quad IPv4 address, or undefined when it is not one. */
function ipv4Bytes(address: string): number[] | undefined {
  const parts = address.split('.')
  if (parts.length !== 4) return undefined
  const bytes = parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : NaN))
  return bytes.every((byte) => byte >= 0 && byte <= 255) ? bytes : undefined
}

/** The eight 16-bit groups of an IPv6 address (a dotted-quad tail allowed), or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase()
  if (text.includes('%')) return undefined
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (tail) {
    const bytes = ipv4Bytes(tail[1])
    if (!bytes) return undefined
    text =
      text.slice(0, -tail[1].length) +
      `${((bytes[0] << 8) | bytes[1]).toString(16)}:${((bytes[2] << 8) | bytes[3]).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const parse = (half: string) => (half === '' ? [] : half.split(':'))
  const head = parse(halves[0])
  const rest = halves.length === 2 ? parse(halves[1]) : []
  const missing = 8 - head.length - rest.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  const groups = [...head, ...Array<string>(missing).fill('0'), ...rest]
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return undefined
  return groups.map((group) => parseInt(group, 16))
}

function classifyIpv4(bytes: readonly number[]): AddressClass {
  const value = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0
  if (metadataAddresses.has(bytes.join('.'))) return 'metadata'
  for (const [base, length, kind] of ipv4Ranges) {
    const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0
    const start = ipv4Bytes(base)!
    const baseValue = ((start[0] << 24) | (start[1] << 16) | (start[2] << 8) | start[3]) >>> 0
    if ((value & mask) >>> 0 === baseValue) return kind
  }
  return 'public'
}

/** The IPv4 address carried in two IPv6 groups. */
function embeddedIpv4(high: number, low: number): number[] {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff]
}

function classifyIpv6(groups: readonly number[]): { kind: AddressClass; embedded?: string } {
  if (metadataAddresses.has(compressIpv6(groups))) return { kind: 'metadata' }
  const zeroUntil = (end: number) => groups.slice(0, end).every((group) => group === 0)
  const viaIpv4 = (high: number, low: number) => {
    const bytes = embeddedIpv4(high, low)
    return { kind: classifyIpv4(bytes), embedded: bytes.join('.') }
  }
  if (zeroUntil(8)) return { kind: 'unspecified' }
  if (zeroUntil(7) && groups[7] === 1) return { kind: 'loopback' }
  // ::ffff:a.b.c.d, IPv4-mapped: the socket talks IPv4 to a.b.c.d
  if (zeroUntil(5) && groups[5] === 0xffff) return viaIpv4(groups[6], groups[7])
  // 64:ff9b::a.b.c.d, the well-known NAT64 prefix: a translator talks IPv4 to a.b.c.d
  if (
    groups[0] === 0x64 &&
    groups[1] === 0xff9b &&
    groups.slice(2, 6).every((group) => group === 0)
  )
    return viaIpv4(groups[6], groups[7])
  // 2002:aabb:ccdd::/48, 6to4: relayed to the IPv4 address a.b.c.d
  if (groups[0] === 0x2002) return viaIpv4(groups[1], groups[2])
  // 64:ff9b:1::/48, NAT64 for local use
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups[2] === 1) return { kind: 'private' }
  if ((groups[0] & 0xfe00) === 0xfc00) return { kind: 'private' } // fc00::/7 unique local
  if ((groups[0] & 0xffc0) === 0xfe80) return { kind: 'link-local' } // fe80::/10
  if ((groups[0] & 0xffc0) === 0xfec0) return { kind: 'private' } // fec0::/10 site-local
  if ((groups[0] & 0xff00) === 0xff00) return { kind: 'multicast' } // ff00::/8
  if (groups[0] === 0x2001 && groups[1] === 0x0db8) return { kind: 'reserved' } // documentation
  if (groups[0] === 0x3fff && groups[1] < 0x1000) return { kind: 'reserved' } // 3fff::/20 docs
  if (groups[0] === 0x2001 && groups[1] < 0x0200) return { kind: 'reserved' } // 2001::/23 IETF
  // Everything outside 2000::/3, global unicast, is reserved (IPv4-compatible ::/96 included).
  if ((groups[0] & 0xe000) !== 0x2000) return { kind: 'reserved' }
  return { kind: 'public' }
}

/** The compressed text form of eight groups (the longest run of two or more zeros as `::`). */
function compressIpv6(groups: readonly number[]): string {
  let bestStart = -1
  let bestLength = 1
  for (let start = 0; start < 8; start += 1) {
    let length = 0
    while (start + length < 8 && groups[start + length] === 0) length += 1
    if (length > bestLength) {
      bestStart = start
      bestLength = length
    }
  }
  const hex = groups.map((group) => group.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

/**
 * The class of one IP address (IPv4 dotted quad or IPv6 text, IPv4-mapped, NAT64 and 6to4
 * judged by the IPv4 address they carry). Text that is no IP address is `reserved`, so it is
 * refused.
 */
export function classifyAddress(address: string): { kind: AddressClass; embedded?: string } {
  const bytes = ipv4Bytes(address)
  if (bytes) return { kind: classifyIpv4(bytes) }
  const groups = ipv6Groups(address)
  if (groups) return classifyIpv6(groups)
  return { kind: 'reserved' }
}

/** The class in a sentence: "a loopback address". */
export function describeAddressClass(kind: AddressClass): string {
  switch (kind) {
    case 'public':
      return 'a public address'
    case 'unspecified':
      return 'an unspecified address'
    case 'shared':
      return 'a shared (carrier-grade NAT) address'
    case 'metadata':
      return 'a cloud metadata address'
    default:
      return `a ${kind} address`
  }
}

const publicRule = 'webhook targets must be public addresses'

/** Host name in the form compared and looked up: lower case, no trailing dots. */
function canonicalHostName(hostname: string): string {
  return hostname.toLowerCase().replace(/\.+$/, '')
}

/** Throws the refusal for an address that is not allowed. */
function checkAddress(
  address: string,
  allowPrivate: boolean,
  describeTarget: (address: string) => string,
): void {
  const { kind, embedded } = classifyAddress(address)
  if (kind === 'public' || (allowPrivate && kind !== 'metadata')) return
  const carried = embedded ? ` (carrying IPv4 ${embedded})` : ''
  throw new WebhookTargetRefusal(
    'address',
    `${describeTarget(address)}, ${describeAddressClass(kind)}${carried}: ${publicRule}`,
    { address, addressClass: kind },
  )
}

/**
 * Vets a webhook URL and resolves its host: answers the addresses a delivery may connect to, or
 * throws a `WebhookTargetRefusal` naming the rule broken (reason `unresolved` when the name has
 * no address right now).
 *
 * @param url the webhook URL as registered
 * @param options allowPrivate (AANWAS_WEBHOOK_ALLOW_PRIVATE) and the resolver to use
 */
export async function vetWebhookTarget(
  url: string | URL,
  options: VetOptions,
): Promise<VettedTarget> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new WebhookTargetRefusal('invalid_url', 'webhook URL is not a valid absolute URL')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new WebhookTargetRefusal(
      'scheme',
      `webhook URL scheme ${parsed.protocol} is not allowed: use http: or https:`,
    )
  if (parsed.username !== '' || parsed.password !== '')
    throw new WebhookTargetRefusal(
      'credentials',
      'webhook URL must not carry credentials (user:password@): receivers check the signature',
    )
  const literal = parsed.hostname.startsWith('[')
    ? parsed.hostname.slice(1, -1)
    : ipv4Bytes(parsed.hostname)
      ? parsed.hostname
      : undefined
  if (literal !== undefined) {
    checkAddress(literal, options.allowPrivate, (address) => `webhook URL resolves to ${address}`)
    return {
      url: parsed,
      hostname: literal,
      addresses: [{ address: literal, family: literal.includes(':') ? 6 : 4 }],
    }
  }
  const hostname = canonicalHostName(parsed.hostname)
  if (metadataHostNames.has(hostname))
    throw new WebhookTargetRefusal(
      'address',
      `webhook URL host ${hostname} is a cloud metadata service: ${publicRule}`,
      { addressClass: 'metadata' },
    )
  let addresses: ResolvedAddress[]
  try {
    addresses = await (options.lookup ?? systemLookup)(hostname)
  } catch {
    addresses = []
  }
  if (addresses.length === 0)
    throw new WebhookTargetRefusal(
      'unresolved',
      `webhook URL host ${hostname} does not resolve to any address`,
    )
  for (const { address } of addresses)
    checkAddress(
      address,
      options.allowPrivate,
      (refused) => `webhook URL host ${hostname} resolves to ${refused}`,
    )
  return { url: parsed, hostname, addresses }
}
