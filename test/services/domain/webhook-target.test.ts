import t from 'tap'
import {
  classifyAddress,
  vetWebhookTarget,
  WebhookTargetRefusal,
  type HostLookup,
  type ResolvedAddress,
} from '../../../services/domain/webhook-target.js'

/** A resolver from a table (no real DNS in tests); records what it was asked. */
function fakeLookup(table: Record<string, string[]>): HostLookup & { asked: string[] } {
  const asked: string[] = []
  const lookup = async (hostname: string): Promise<ResolvedAddress[]> => {
    asked.push(hostname)
    const addresses = table[hostname]
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
        code: 'ENOTFOUND',
      })
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
  return Object.assign(lookup, { asked })
}

const noDns = fakeLookup({})
const strict = { allowPrivate: false, lookup: noDns }

/** The refusal a URL gets, or undefined when it passes. */
async function refusalOf(
  url: string,
  options: Parameters<typeof vetWebhookTarget>[1] = strict,
): Promise<WebhookTargetRefusal | undefined> {
  try {
    await vetWebhookTarget(url, options)
    return undefined
  } catch (error) {
    if (error instanceof WebhookTargetRefusal) return error
    throw error
  }
}

t.test('classifyAddress', async (t) => {
  t.test('when an IPv4 address is special-purpose, then its class is named', async (t) => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['10.0.0.1', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.1.1', 'link-local'],
      ['169.254.169.254', 'metadata'],
      ['169.254.170.2', 'metadata'],
      ['100.100.100.200', 'metadata'],
      ['0.0.0.0', 'unspecified'],
      ['0.1.2.3', 'unspecified'],
      ['100.64.0.1', 'shared'],
      ['100.127.255.255', 'shared'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'],
      ['192.0.2.10', 'reserved'],
      ['198.18.0.1', 'reserved'],
      ['198.51.100.7', 'reserved'],
      ['203.0.113.7', 'reserved'],
    ]
    for (const [address, kind] of cases) t.equal(classifyAddress(address).kind, kind, address)
  })

  t.test('when an IPv4 address is public, then it is public, next to the ranges', async (t) => {
    for (const address of [
      '93.184.216.34',
      '8.8.8.8',
      '172.15.255.255',
      '172.32.0.0',
      '100.63.255.255',
      '100.128.0.0',
      '169.253.255.255',
      '11.0.0.0',
      '223.255.255.255',
    ])
      t.equal(classifyAddress(address).kind, 'public', address)
  })

  t.test('when an IPv6 address is special-purpose, then its class is named', async (t) => {
    const cases: Array<[string, string]> = [
      ['::1', 'loopback'],
      ['0:0:0:0:0:0:0:1', 'loopback'],
      ['::', 'unspecified'],
      ['fc00::1', 'private'],
      ['fd12:3456::1', 'private'],
      ['fd00:ec2::254', 'metadata'],
      ['fe80::1', 'link-local'],
      ['febf::1', 'link-local'],
      ['fec0::1', 'private'],
      ['ff02::1', 'multicast'],
      ['2001:db8::1', 'reserved'],
      ['100::1', 'reserved'],
      ['::7f00:1', 'reserved'],
      ['64:ff9b:1::1', 'private'],
    ]
    for (const [address, kind] of cases) t.equal(classifyAddress(address).kind, kind, address)
  })

  t.test(
    'when an IPv6 address carries an IPv4 one (mapped, NAT64, 6to4), then that one is judged',
    async (t) => {
      t.same(classifyAddress('::ffff:127.0.0.1'), { kind: 'loopback', embedded: '127.0.0.1' })
      t.same(classifyAddress('::ffff:7f00:1'), { kind: 'loopback', embedded: '127.0.0.1' })
      t.same(classifyAddress('::ffff:a00:1'), { kind: 'private', embedded: '10.0.0.1' })
      t.same(classifyAddress('::ffff:a9fe:a9fe'), {
        kind: 'metadata',
        embedded: '169.254.169.254',
      })
      t.same(classifyAddress('64:ff9b::7f00:1'), { kind: 'loopback', embedded: '127.0.0.1' })
      t.same(classifyAddress('2002:c0a8:101::1'), { kind: 'private', embedded: '192.168.1.1' })
      t.same(classifyAddress('::ffff:93.184.216.34'), {
        kind: 'public',
        embedded: '93.184.216.34',
      })
    },
  )

  t.test('when an IPv6 address is global unicast, then it is public', async (t) => {
    for (const address of ['2606:2800:220:1:248:1893:25c8:1946', '2a00:1450:4001:80b::200e'])
      t.equal(classifyAddress(address).kind, 'public', address)
  })

  t.test('when the text is no IP address, then it counts as reserved (refused)', async (t) => {
    for (const text of ['', 'localhost', '1.2.3', '1.2.3.256', '::1::2', 'fe80::1%eth0'])
      t.equal(classifyAddress(text).kind, 'reserved', text)
  })
})

t.test('vetWebhookTarget', async (t) => {
  t.test(
    'when the host is a special-purpose address literal, then it is refused naming the class',
    async (t) => {
      const cases: Array<[string, RegExp]> = [
        ['http://127.0.0.1/hook', /resolves to 127\.0\.0\.1, a loopback address: webhook targets/],
        ['http://[::1]/hook', /resolves to ::1, a loopback address/],
        ['http://10.0.0.1/hook', /a private address/],
        ['http://192.168.0.10:8080/hook', /a private address/],
        ['http://[fd00::1]/hook', /a private address/],
        ['http://169.254.169.254/latest/meta-data/', /a cloud metadata address/],
        ['http://[fd00:ec2::254]/latest', /a cloud metadata address/],
        ['http://169.254.10.10/hook', /a link-local address/],
        ['http://[fe80::1]/hook', /a link-local address/],
        ['http://0.0.0.0:3000/v1/keys', /an unspecified address/],
        ['http://[::]/hook', /an unspecified address/],
        ['http://100.64.1.1/hook', /a shared \(carrier-grade NAT\) address/],
        ['http://224.0.0.1/hook', /a multicast address/],
        ['http://[ff02::1]/hook', /a multicast address/],
        ['http://255.255.255.255/hook', /a broadcast address/],
        ['http://240.1.2.3/hook', /a reserved address/],
        ['http://[::ffff:127.0.0.1]/hook', /a loopback address \(carrying IPv4 127\.0\.0\.1\)/],
        ['http://[::ffff:10.0.0.1]/hook', /a private address \(carrying IPv4 10\.0\.0\.1\)/],
        ['http://[::ffff:169.254.169.254]/', /a cloud metadata address/],
      ]
      for (const [url, message] of cases) {
        const refusal = await refusalOf(url)
        t.equal(refusal?.reason, 'address', url)
        t.match(refusal?.message, message, url)
      }
      t.same(noDns.asked, [], 'a literal is never looked up')
    },
  )

  t.test(
    'when the host is a numeric spelling of 127.0.0.1, then it is normalised and refused',
    async (t) => {
      for (const url of [
        'http://2130706433/',
        'http://0x7f000001/',
        'http://017700000001/',
        'http://127.1/',
        'http://0x7f.1/',
        'http://%31%32%37.0.0.1/',
        'http://[0:0:0:0:0:0:0:1]/',
      ]) {
        const refusal = await refusalOf(url)
        t.equal(refusal?.addressClass, 'loopback', url)
      }
    },
  )

  t.test(
    'when the host is a cloud metadata name, then it is refused without a lookup',
    async (t) => {
      const lookup = fakeLookup({ 'metadata.google.internal': ['93.184.216.34'] })
      for (const url of [
        'http://metadata.google.internal/computeMetadata/v1/',
        'http://METADATA.google.internal./',
        'http://metadata/computeMetadata/v1/',
        'http://instance-data/latest/',
      ]) {
        const refusal = await refusalOf(url, { allowPrivate: false, lookup })
        t.equal(refusal?.addressClass, 'metadata', url)
        t.match(refusal?.message, /is a cloud metadata service: webhook targets must be public/)
      }
      t.same(lookup.asked, [])
    },
  )

  t.test(
    'when a name resolves to any non-public address, then it is refused naming that address',
    async (t) => {
      const lookup = fakeLookup({
        'internal.example.com': ['10.1.2.3'],
        'mixed.example.com': ['93.184.216.34', '127.0.0.1'],
        'v6.example.com': ['2606:2800:220:1:248:1893:25c8:1946', 'fd00::5'],
        'mapped.example.com': ['::ffff:192.168.0.1'],
        'meta.example.com': ['169.254.169.254'],
        localhost: ['127.0.0.1', '::1'],
      })
      const cases: Array<[string, RegExp]> = [
        [
          'https://internal.example.com/hook',
          /host internal\.example\.com resolves to 10\.1\.2\.3, a private address/,
        ],
        ['https://mixed.example.com/hook', /resolves to 127\.0\.0\.1, a loopback address/],
        ['https://v6.example.com/hook', /resolves to fd00::5, a private address/],
        ['https://mapped.example.com/hook', /a private address \(carrying IPv4 192\.168\.0\.1\)/],
        ['https://meta.example.com/hook', /a cloud metadata address/],
        ['http://localhost:3000/v1/keys', /host localhost resolves to 127\.0\.0\.1, a loopback/],
      ]
      for (const [url, message] of cases) {
        const refusal = await refusalOf(url, { allowPrivate: false, lookup })
        t.equal(refusal?.reason, 'address', url)
        t.match(refusal?.message, message, url)
      }
    },
  )

  t.test('when every address of a name is public, then all of them are answered', async (t) => {
    const lookup = fakeLookup({
      'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    })
    const vetted = await vetWebhookTarget('https://Hooks.Example.com./in?x=1', {
      allowPrivate: false,
      lookup,
    })
    t.equal(vetted.hostname, 'hooks.example.com')
    t.same(vetted.addresses, [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ])
    t.same(lookup.asked, ['hooks.example.com'])
    const literal = await vetWebhookTarget('http://[2a00:1450:4001:80b::200e]:8443/', strict)
    t.same(literal.addresses, [{ address: '2a00:1450:4001:80b::200e', family: 6 }])
  })

  t.test('when a name does not resolve, then it is refused as unresolved', async (t) => {
    const refusal = await refusalOf('https://nowhere.example.com/hook')
    t.equal(refusal?.reason, 'unresolved')
    t.match(refusal?.message, /host nowhere\.example\.com does not resolve/)
    const empty = await refusalOf('https://empty.example.com/', {
      allowPrivate: false,
      lookup: async () => [],
    })
    t.equal(empty?.reason, 'unresolved')
  })

  t.test('when the scheme is not http(s), then it is refused', async (t) => {
    for (const url of ['ftp://93.184.216.34/x', 'file:///etc/passwd', 'gopher://1.1.1.1/']) {
      const refusal = await refusalOf(url)
      t.equal(refusal?.reason, 'scheme', url)
      t.match(refusal?.message, /scheme .* is not allowed: use http: or https:/)
    }
    t.equal((await refusalOf('not a url'))?.reason, 'invalid_url')
  })

  t.test('when the URL carries credentials, then it is refused, allowPrivate or not', async (t) => {
    for (const url of ['https://user:pass@93.184.216.34/hook', 'http://user@127.0.0.1/']) {
      for (const allowPrivate of [false, true]) {
        const refusal = await refusalOf(url, { allowPrivate, lookup: noDns })
        t.equal(refusal?.reason, 'credentials', url)
        t.match(refusal?.message, /must not carry credentials/)
      }
    }
  })

  t.test(
    'when allowPrivate is set, then loopback and private pass but metadata does not',
    async (t) => {
      const lookup = fakeLookup({ 'receiver.test': ['127.0.0.1'] })
      const options = { allowPrivate: true, lookup }
      t.same((await vetWebhookTarget('http://127.0.0.1:9/hook', options)).addresses, [
        { address: '127.0.0.1', family: 4 },
      ])
      t.same((await vetWebhookTarget('http://receiver.test:9/hook', options)).addresses, [
        { address: '127.0.0.1', family: 4 },
      ])
      t.equal(await refusalOf('http://[::1]/', options), undefined)
      t.equal(await refusalOf('http://10.0.0.1/', options), undefined)
      t.equal((await refusalOf('http://169.254.169.254/', options))?.addressClass, 'metadata')
      t.equal(
        (await refusalOf('http://metadata.google.internal/', options))?.addressClass,
        'metadata',
      )
      t.equal((await refusalOf('ftp://127.0.0.1/', options))?.reason, 'scheme')
    },
  )
})
