import { createHmac } from 'node:crypto'
import t from 'tap'
import {
  deliverWebhookEvent,
  maxRetryDelayMs,
  retryDelayMs,
  signatureOf,
  type WebhookRequest,
} from '../../monitors/webhook-delivery.js'

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
    'when the transport answers 2xx, then it is delivered; else the error is kept',
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
        { post: async (request) => (sent.push(request), { statusCode: 204, error: null }) },
        event,
      )
      t.match(ok, { delivered: true, statusCode: 204, error: null })
      t.equal(sent[0].headers['x-aanwas-signature'], signatureOf('k', '{}'))
      t.equal(sent[0].headers['x-aanwas-event-id'], 'e1')
      const down = await deliverWebhookEvent(
        { post: async () => ({ statusCode: null, error: 'ECONNREFUSED' }) },
        event,
      )
      t.match(down, { delivered: false, statusCode: null, error: 'ECONNREFUSED' })
    },
  )
})
