import { createHmac } from 'node:crypto'
import { createServer, type Server, type Socket } from 'node:net'
import t from 'tap'
import {
  createHttpTransport,
  deliverWebhookEvent,
  maxRetryDelayMs,
  retryDelayMs,
  signatureOf,
  webhookFailureTexts,
  webhookFailures,
  type TargetCheck,
  type WebhookRequest,
} from '../../monitors/webhook-delivery.js'
import { startWebhookReceiver } from '../support/webhook-receiver.js'

t.test('signatureOf', async (t) => {
  t.test('when a body is signed, then it is the hex HMAC-SHA256 with the secret', async (t) => {
    const body = '{"id":"e1","type":"alert.firing"}'
    t.equal(
      signatureOf('s3cret', body),
      `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`,
    )
  })
})

t.test('retryDelayMs', async (t) => {
  t.test(
    'when attempts fail, then the delay doubles from the base, with jitter, up to 10 minutes',
    async (t) => {
      t.equal(retryDelayMs(1, 1000, 0), 500)
      t.equal(retryDelayMs(1, 1000, 0.999999), 1000)
      t.equal(retryDelayMs(2, 1000, 0), 1000)
      t.equal(retryDelayMs(4, 1000, 1), 8000)
      t.equal(retryDelayMs(40, 1000, 1), maxRetryDelayMs)
      t.ok(retryDelayMs(40, 1000, 0) >= maxRetryDelayMs / 2)
    },
  )
})

t.test('deliverWebhookEvent', async (t) => {
  t.test(
    'when the transport answers 2xx, then it is delivered; else the failure class is kept',
    async (t) => {
      const sent: WebhookRequest[] = []
      const event = {
        event_id: 'e1',
        event_type: 'alert.firing',
        url: 'http://127.0.0.1:1/x',
        secret: 'k',
        body: '{}',
      }
      const ok = await deliverWebhookEvent(
        { post: async (request) => (sent.push(request), { statusCode: 204, failure: null }) },
        event,
      )
      t.match(ok, { delivered: true, statusCode: 204, failure: null })
      t.equal(sent[0].headers['x-aanwas-signature'], signatureOf('k', '{}'))
      t.equal(sent[0].headers['x-aanwas-event-id'], 'e1')
      const down = await deliverWebhookEvent(
        { post: async () => ({ statusCode: null, failure: 'connection_failed' }) },
        event,
      )
      t.match(down, { delivered: false, statusCode: null, failure: 'connection_failed' })
      const refused = await deliverWebhookEvent(
        { post: async () => ({ statusCode: 500, failure: null }) },
        event,
      )
      t.match(refused, { delivered: false, statusCode: 500, failure: 'http_status' })
    },
  )
})

t.test('webhookFailureTexts', async (t) => {
  t.test('when a class is shown, then its text is fixed and names no socket error', async (t) => {
    t.same(Object.keys(webhookFailureTexts).sort(), [...webhookFailures].sort())
    for (const text of Object.values(webhookFailureTexts))
      t.notMatch(text, /E[A-Z]{4,}|\d+ ?ms/, text)
  })
})

t.test('createHttpTransport', async (t) => {
  const secret = 'transport-test-secret'
  const requestTo = (url: string): WebhookRequest => {
    const body = JSON.stringify({ id: 'e1', type: 'alert.firing' })
    return {
      url,
      body,
      headers: {
        'content-type': 'application/json',
        'x-aanwas-signature': signatureOf(secret, body),
      },
    }
  }
  /** A check that answers the given addresses for every URL and records the URLs it saw. */
  const pinnedTo = (address: string) => {
    const checked: string[] = []
    const check: TargetCheck = async (url) => {
      checked.push(url.href)
      return { addresses: [{ address, family: 4 }] }
    }
    return { check, checked }
  }

  t.test(
    'when the check vets an address, then the POST connects there, not where DNS says',
    async (t) => {
      const receiver = await startWebhookReceiver(secret)
      t.teardown(() => receiver.close())
      const port = new URL(receiver.url).port
      // .invalid never resolves (RFC 6761): only the vetted address can have been used.
      const { check, checked } = pinnedTo('127.0.0.1')
      const response = await createHttpTransport(check).post(
        requestTo(`http://receiver.invalid:${port}/hook`),
      )
      t.same(response, { statusCode: 200, failure: null })
      t.same(checked, [`http://receiver.invalid:${port}/hook`])
      t.equal(receiver.received.length, 1)
      t.ok(receiver.received[0].signatureValid)
    },
  )

  t.test('when the check refuses the target, then nothing is connected to', async (t) => {
    const receiver = await startWebhookReceiver(secret)
    t.teardown(() => receiver.close())
    for (const failure of ['address_refused', 'dns_failed'] as const) {
      const response = await createHttpTransport(async () => ({ failure })).post(
        requestTo(receiver.url),
      )
      t.same(response, { statusCode: null, failure })
    }
    const broken = await createHttpTransport(async () => {
      throw new Error('resolver crashed')
    }).post(requestTo(receiver.url))
    t.same(broken, { statusCode: null, failure: 'address_refused' })
    t.equal(receiver.received.length, 0, 'the receiver saw no request')
  })

  t.test('when the receiver answers non-2xx, then the status is kept', async (t) => {
    const receiver = await startWebhookReceiver(secret, { failFirst: 1 })
    t.teardown(() => receiver.close())
    const { check } = pinnedTo('127.0.0.1')
    t.same(await createHttpTransport(check).post(requestTo(receiver.url)), {
      statusCode: 500,
      failure: 'http_status',
    })
  })

  t.test('when the port is closed, then it is connection_failed, no socket code', async (t) => {
    const closed = await listening(createServer())
    const port = portOf(closed)
    await new Promise((resolve) => closed.close(resolve))
    const { check } = pinnedTo('127.0.0.1')
    t.same(await createHttpTransport(check).post(requestTo(`http://127.0.0.1:${port}/`)), {
      statusCode: null,
      failure: 'connection_failed',
    })
  })

  t.test('when the receiver never answers, then it is a timeout', async (t) => {
    const sockets: Socket[] = []
    const silent = await listening(createServer((socket) => void sockets.push(socket)))
    t.teardown(
      () =>
        new Promise((resolve) => {
          for (const socket of sockets) socket.destroy()
          silent.close(resolve)
        }),
    )
    const { check } = pinnedTo('127.0.0.1')
    t.same(
      await createHttpTransport(check, 300).post(requestTo(`http://127.0.0.1:${portOf(silent)}/`)),
      { statusCode: null, failure: 'timeout' },
    )
  })

  t.test('when https meets a server that speaks no TLS, then it is tls_failed', async (t) => {
    const receiver = await startWebhookReceiver(secret)
    t.teardown(() => receiver.close())
    const { check } = pinnedTo('127.0.0.1')
    const port = new URL(receiver.url).port
    t.same(await createHttpTransport(check).post(requestTo(`https://receiver.invalid:${port}/`)), {
      statusCode: null,
      failure: 'tls_failed',
    })
  })
})

async function listening(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

function portOf(server: Server): number {
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}
