import t from 'tap'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { PassThrough, Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, createKey, engines } from '../../helper.js'
import { AppError } from '../../../services/errors.js'
import { csvUploadRecords, type UploadRecord } from '../../../services/ingest/upload-records.js'
import { csv, csvOf, fullHeader, snapshotRow } from '../../support/snapshot-fixtures.js'

/**
 * Issue 14, finding 4: uploads that can never be parsed, or whose body stalls, once left a
 * connection in `COPY snapshot_staging` for good. Ten of them exhausted the pool: every keyed
 * route answered 503 for everyone while readiness said 200, and SIGTERM no longer stopped the
 * process. The cause was the CSV record stream feeding a parser that had been destroyed, whose
 * drain wait never resolved. Each trigger is sent more than 20 times; each must be answered
 * within seconds, and afterwards no connection may be in use and another analyst's valid upload
 * must succeed at once.
 */

/** A tap subtest, as its callback receives it. */
type TapTest = Parameters<Parameters<typeof t.test>[0]>[0]

/** Repetitions of each trigger: more than the PostgreSQL pool (10) holds connections. */
const repetitions = 21
/** What "within seconds" means here; the old code never answered at all. */
const answerWithinMs = 5_000
/** The upload idle limit given to the app (AANWAS_UPLOAD_IDLE_MS). */
const uploadIdleMs = 300

/** The body in 16 KB chunks, as a network delivers it (one chunk would hide the bug). */
function chunked(body: Buffer): Readable {
  const chunks: Buffer[] = []
  for (let start = 0; start < body.length; start += 16_384)
    chunks.push(body.subarray(start, start + 16_384))
  return Readable.from(chunks)
}

/** Valid data rows for GM0518 making the body larger than the 64 KB the finding names. */
function filler(rows = 2_500): string {
  return Array.from(
    { length: rows },
    (_, index) => `BU0518${String(index).padStart(4, '0')},,2024Q1,100,1,1,1,1`,
  ).join('\n')
}

/** Deterministic bytes (a linear congruential generator, seed fixed) behind a gzip magic. */
function binaryBody(length: number): Buffer {
  const bytes = Buffer.alloc(length)
  let state = 20_240_901
  for (let index = 0; index < length; index += 1) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0
    bytes[index] = state >>> 24
  }
  // What a compressed file sent as text/csv starts with: 0x8b is never a first UTF-8 byte.
  bytes.set([0x1f, 0x8b, 0x08, 0x00], 0)
  return bytes
}

/** Resolves to the promise's value, or to 'timeout' after `ms`; never leaves a timer behind. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

interface RawAnswer {
  status: number
  body: string
  /** Time from the last byte sent to the status line. */
  ms: number
  /** The server closed the connection after answering. */
  closed: boolean
}

/**
 * A client that sends the request head with a Content-Length, part of the body, and then
 * nothing: a real socket, since `inject` cannot stall half-way.
 */
function stalledUpload(
  port: number,
  authorization: string,
  partial: string,
  declaredLength: number,
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    let sentAt = 0
    let answeredAt = 0
    const finish = (closed: boolean) => {
      clearTimeout(guard)
      socket.destroy()
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0)
      const body = received.slice(received.indexOf('\r\n\r\n') + 4)
      resolve({ status, body, ms: (answeredAt || Date.now()) - sentAt, closed })
    }
    // The old code never answered: give up well after the idle limit.
    const guard = setTimeout(() => finish(false), answerWithinMs * 2)
    socket.on('data', (chunk: Buffer) => {
      if (!answeredAt) answeredAt = Date.now()
      received += chunk.toString('utf8')
    })
    socket.on('end', () => finish(true))
    socket.on('error', () => finish(false))
    socket.on('connect', () => {
      socket.write(
        'POST /v1/snapshots HTTP/1.1\r\n' +
          'Host: 127.0.0.1\r\n' +
          `Authorization: ${authorization}\r\n` +
          'Content-Type: text/csv\r\n' +
          `Content-Length: ${declaredLength}\r\n\r\n` +
          partial,
      )
      sentAt = Date.now()
    })
  })
}

/** Connections in use or waiting in the knex pool (tarn). */
function poolInUse(app: FastifyInstance): { used: number; waiting: number } {
  const pool = app.knex.client.pool
  if (!pool || !('numUsed' in pool)) return { used: 0, waiting: 0 }
  return { used: pool.numUsed(), waiting: pool.numPendingAcquires() }
}

/** On PostgreSQL: sessions of this database still busy with a COPY. */
async function copiesRunning(app: FastifyInstance): Promise<number> {
  const result = await app.knex.raw(
    `SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND state <> 'idle' AND query ILIKE 'COPY%'`,
  )
  return Number((result.rows as Array<{ n: number }>)[0].n)
}

/** Every record of a stream, read slowly (a consumer waiting on its database each record). */
async function slowlyRead(records: AsyncIterable<UploadRecord>): Promise<UploadRecord[]> {
  const seen: UploadRecord[] = []
  for await (const record of records) {
    seen.push(record)
    await new Promise((resolve) => setImmediate(resolve))
  }
  return seen
}

t.test('csvUploadRecords', async (t) => {
  t.test(
    'when the header is unreadable and the client keeps sending, then the records end at once and the input is destroyed',
    async (t) => {
      const input = new PassThrough()
      input.write(
        Buffer.concat([Buffer.from('area_code,\xff'), Buffer.from([0xff]), Buffer.from('\n')]),
      )
      // The client keeps sending and never ends: nothing may wait for it.
      input.write(Buffer.from(filler()))
      const records = await within(slowlyRead(csvUploadRecords(input)), answerWithinMs)
      t.not(records, 'timeout')
      if (records !== 'timeout')
        t.match(records, [{ kind: 'error', row: 1, column: null, message: /UTF-8/ }])
      t.ok(input.destroyed, 'the input is destroyed')
    },
  )

  t.test(
    'when broken quoting follows thousands of rows and the consumer is slow, then every row before it comes first and the error names its row',
    async (t) => {
      // A failing parser stream used to drop the rows it had parsed but not handed out yet:
      // the error then named an earlier row, depending on how fast the consumer was.
      const body = csv(fullHeader, filler(), 'BU05189999,"Centrum,2024Q1,10,1,1,1,1')
      const records = await slowlyRead(csvUploadRecords(chunked(Buffer.from(body))))
      t.equal(records.filter((record) => record.kind === 'fields').length, 2_500)
      t.match(records.at(-1), { kind: 'error', row: 2_502, column: null, message: /never closed/ })
    },
  )

  t.test(
    'when an invalid closing quote is in row 2 of a large body, then the records end at row 2 without reading the rest',
    async (t) => {
      const input = new PassThrough()
      input.write(csv(fullHeader, 'BU05180101,"Centrum"x,2024Q3,100,1,2,3,4', filler()))
      const records = await within(slowlyRead(csvUploadRecords(input)), answerWithinMs)
      t.not(records, 'timeout')
      if (records !== 'timeout')
        t.match(records, [
          { kind: 'header' },
          { kind: 'error', row: 2, column: null, message: /closing quote/ },
        ])
      t.ok(input.destroyed, 'the input is destroyed')
    },
  )

  t.test(
    'when the input sends nothing for longer than idleMs, then a 408 request_timeout ends the records',
    async (t) => {
      const input = new PassThrough()
      input.write(`${fullHeader}\nBU05180101,Centrum,2024Q3,100,1,2,3,4\n`)
      const started = Date.now()
      const records: UploadRecord[] = []
      const error = await (async () => {
        try {
          for await (const record of csvUploadRecords(input, { idleMs: 100 })) records.push(record)
        } catch (caught) {
          return caught
        }
        return undefined
      })()
      t.ok(error instanceof AppError)
      t.match(error, { statusCode: 408, code: 'request_timeout' })
      t.ok(Date.now() - started < 2_000, 'ended soon after the idle limit')
      t.match(records[0], { kind: 'header' })
      t.ok(input.destroyed, 'the input is destroyed')
    },
  )
})

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine, { uploadIdleMs })
    // The attacking analyst and another analyst whose valid upload must go through.
    let attacker: Awaited<ReturnType<typeof createKey>>
    let bystander: Awaited<ReturnType<typeof createKey>>
    t.beforeEach(async () => {
      await reset()
      attacker = await createKey(app, admin, 'analyst', 'GM0518')
      bystander = await createKey(app, admin, 'analyst', 'GM0599')
    })

    const postCsv = (headers: { authorization: string }, body: Buffer) =>
      app.inject({
        method: 'POST',
        url: '/v1/snapshots',
        headers: { ...headers, 'content-type': 'text/csv' },
        payload: chunked(body),
      })

    /** Sends one trigger `repetitions` times at once; every answer must come within seconds. */
    async function sendTrigger(t: TapTest, body: Buffer, expectedRow: number) {
      const started = Date.now()
      const answers = await Promise.all(
        Array.from({ length: repetitions }, () =>
          within(postCsv(attacker.headers, body), answerWithinMs),
        ),
      )
      const elapsed = Date.now() - started
      const timedOut = answers.filter((answer) => answer === 'timeout').length
      t.equal(timedOut, 0, `every one of ${repetitions} uploads is answered within seconds`)
      for (const answer of answers) {
        if (answer === 'timeout') continue
        t.equal(answer.statusCode, 422, answer.body)
        const error = answer.json().error
        t.equal(error.code, 'invalid_rows')
        t.match(error.details.errors[0], { row: expectedRow, column: null })
      }
      t.comment(`${repetitions} uploads answered in ${elapsed} ms`)
    }

    /** After the triggers nothing holds a connection, and a valid upload goes through at once. */
    async function assertServiceFree(t: TapTest) {
      let inUse = poolInUse(app)
      for (let attempt = 0; attempt < 20 && inUse.used + inUse.waiting > 0; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        inUse = poolInUse(app)
      }
      t.same(inUse, { used: 0, waiting: 0 }, 'no pool connection is left in use')
      if (engine === 'postgres') t.equal(await copiesRunning(app), 0, 'no COPY is left running')
      t.equal(Number((await app.knex('snapshots').count({ n: '*' }))[0].n), 0, 'nothing stored')

      const started = Date.now()
      const valid = await within(
        postCsv(
          bystander.headers,
          Buffer.from(csvOf([snapshotRow({ area_code: 'BU05990101', area_name: 'Elders' })])),
        ),
        answerWithinMs,
      )
      t.not(valid, 'timeout', 'the valid upload is answered')
      if (valid !== 'timeout') t.equal(valid.statusCode, 201, valid.body)
      t.comment(`valid upload answered in ${Date.now() - started} ms`)
      const ready = await app.inject({ method: 'GET', url: '/health/ready' })
      t.equal(ready.statusCode, 200)
    }

    t.test('POST /v1/snapshots (unparseable uploads)', async (t) => {
      t.test(
        'when a >64 KB CSV has a header that is not valid UTF-8, then each gets 422 at row 1 within seconds and the pool is free',
        async (t) => {
          const body = Buffer.concat([
            Buffer.from('area_code,area_'),
            Buffer.from([0xff, 0xfe]),
            Buffer.from(`name${fullHeader.slice('area_code,area_name'.length)}\n${filler()}\n`),
          ])
          t.ok(body.length > 65_536, `the body is ${body.length} bytes`)
          await sendTrigger(t, body, 1)
          await assertServiceFree(t)
        },
      )

      t.test(
        'when a >64 KB CSV has an invalid closing quote in row 2, then each gets 422 at row 2 within seconds and the pool is free',
        async (t) => {
          const body = Buffer.from(
            csv(fullHeader, 'BU05180101,"Centrum"x,2024Q3,100,1,2,3,4', filler()),
          )
          t.ok(body.length > 65_536, `the body is ${body.length} bytes`)
          await sendTrigger(t, body, 2)
          await assertServiceFree(t)
        },
      )

      t.test(
        'when a large binary body is sent as text/csv, then each gets 422 at row 1 within seconds and the pool is free',
        async (t) => {
          await sendTrigger(t, binaryBody(1 << 20), 1)
          await assertServiceFree(t)
        },
      )

      t.test(
        'when a valid header is followed by a binary body, then 422 with column null and the pool is free',
        async (t) => {
          const body = Buffer.concat([
            Buffer.from(csv(fullHeader, 'BU05180101,Centrum,2024Q3,100,1,2,3,4')),
            binaryBody(1 << 20),
          ])
          await sendTrigger(t, body, 3)
          await assertServiceFree(t)
        },
      )
    })

    t.test('POST /v1/snapshots (stalled body)', async (t) => {
      t.test(
        'when the client sends part of the body and then nothing, then each gets 408 within seconds, nothing is stored and the pool is free',
        async (t) => {
          await app.listen({ port: 0, host: '127.0.0.1' })
          const { port } = app.server.address() as AddressInfo
          const rows = csv(fullHeader, 'BU05180101,Centrum,2024Q3,100,1,2,3,4', filler(20))
          // Half the header (no record read yet) and a valid header with rows (the upload's
          // transaction is open when the body stalls), taken in turn.
          const partials = [fullHeader.slice(0, 40), rows]
          const timings: number[] = []
          for (let attempt = 0; attempt < repetitions; attempt += 1) {
            const partial = partials[attempt % partials.length]
            const answer = await stalledUpload(
              port,
              attacker.headers.authorization,
              partial,
              Buffer.byteLength(partial) + 100_000,
            )
            timings.push(answer.ms)
            t.equal(answer.status, 408, answer.body)
            t.match(JSON.parse(answer.body || '{}'), {
              error: { code: 'request_timeout', message: /AANWAS_UPLOAD_IDLE_MS/ },
            })
            t.ok(answer.ms < answerWithinMs, `answered after ${answer.ms} ms`)
            t.ok(answer.closed, 'the server closes the connection it will read no more from')
          }
          t.comment(
            `stalled uploads answered after ${Math.min(...timings)}–${Math.max(...timings)} ms`,
          )
          await assertServiceFree(t)
        },
      )
    })

    t.test('POST /v1/snapshots (JSON bodies)', async (t) => {
      t.test('when a JSON body is malformed, then 400 at once and the pool is free', async (t) => {
        const payload = `[${JSON.stringify(snapshotRow())},`.repeat(5_000)
        const answer = await within(
          app.inject({
            method: 'POST',
            url: '/v1/snapshots',
            headers: { ...attacker.headers, 'content-type': 'application/json' },
            payload,
          }),
          answerWithinMs,
        )
        t.not(answer, 'timeout')
        if (answer !== 'timeout') t.equal(answer.statusCode, 400, answer.body)
        await assertServiceFree(t)
      })
    })
  })
}
