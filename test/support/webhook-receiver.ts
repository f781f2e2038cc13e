import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type Server } from 'node:http'

export interface ReceivedEvent {
  id: string
  type: string
  body: string
  signatureValid: boolean
  status: number
}

/**
 * A webhook receiver on 127.0.0.1 for tests: answers 500 to the first `failFirst` attempts of
 * every event id, then 200; checks each request's X-Aanwas-Signature against the secret.
 */
export async function startWebhookReceiver(
  secret: string,
  options: { failFirst?: number; delayMs?: number } = {},
): Promise<{
  url: string
  received: ReceivedEvent[]
  delivered(): Map<string, number>
  close(): Promise<void>
}> {
  const received: ReceivedEvent[] = []
  const attempts = new Map<string, number>()
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
      const given = String(request.headers['x-aanwas-signature'] ?? '')
      const signatureValid =
        given.length === expected.length &&
        timingSafeEqual(Buffer.from(given), Buffer.from(expected))
      const event = JSON.parse(body) as { id: string; type: string }
      const attempt = (attempts.get(event.id) ?? 0) + 1
      attempts.set(event.id, attempt)
      const status = attempt <= (options.failFirst ?? 0) ? 500 : 200
      received.push({ id: event.id, type: event.type, body, signatureValid, status })
      setTimeout(() => response.writeHead(status).end(), options.delayMs ?? 0)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('receiver has no port')
  return {
    url: `http://127.0.0.1:${address.port}/hook`,
    received,
    delivered() {
      const counts = new Map<string, number>()
      for (const event of received)
        if (event.status === 200) counts.set(event.id, (counts.get(event.id) ?? 0) + 1)
      return counts
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Polls until `check` is true (or throws after `timeoutMs`). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
