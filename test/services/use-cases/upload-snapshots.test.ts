import t from 'tap'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, createKey, engines } from '../../helper.js'
import { csvOf, snapshotRow, type SnapshotFixture } from '../../support/snapshot-fixtures.js'
import { AppError } from '../../../services/errors.js'
import {
  uploadSnapshots,
  type UploadSource,
  type Uploader,
} from '../../../services/use-cases/upload-snapshots.js'
import type { DataEventMap } from '../../../services/use-cases/data-events.js'
import { valueColumns } from '../../../models/vocabulary/indicators.js'
import { columnMapping, kwbProfile } from '../../../services/ingest/column-profiles.js'

/**
 * use-cases/upload-snapshots.ts: the one upload story for the route and the CLI. It reads a CSV
 * stream (hashed and metered) or a parsed JSON body, stores it all or nothing through
 * importSnapshots, and emits `snapshots-changed` only when rows were inserted or revised, after
 * the transaction committed.
 */

const rows: SnapshotFixture[] = [
  snapshotRow(),
  snapshotRow({ area_code: 'BU05180102', area_name: 'Zuid', period: '2024Q2' }),
  snapshotRow({
    area_code: 'BU05180102',
    area_name: 'Zuid',
    period: '2024Q3',
    parental_debt: null,
  }),
]

/** The JSON body of the same rows: a NULL count as null. */
const jsonBody = rows.map((row) => ({ ...row }))

const csvSource = (text: string | Buffer): UploadSource => ({
  format: 'csv',
  stream: Readable.from([Buffer.from(text)]),
})
const jsonSource = (body: unknown): UploadSource => ({ format: 'json', body })
const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex')

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)

    /** Every `snapshots-changed`, with what another connection saw stored when it came. */
    const emitted: Array<{
      payload: DataEventMap['snapshots-changed'][0]
      visibleSnapshots: number
      visibleBatch: unknown
    }> = []
    app.dataEvents.on('snapshots-changed', async (payload) => {
      emitted.push({
        payload,
        visibleSnapshots: await count(app, 'snapshots'),
        visibleBatch: await app
          .knex('upload_batches')
          .where({ id: payload.batchId })
          .first('inserted', 'revised', 'unchanged'),
      })
    })
    let failingListener = false
    app.dataEvents.on('snapshots-changed', () => {
      if (failingListener) throw new Error('listener down')
    })
    t.beforeEach(async () => {
      await app.alertEvaluator.idle()
      await reset()
      emitted.length = 0
    })

    const upload = (
      source: UploadSource,
      uploader: Uploader = { keyId: null },
      limits: Partial<{ bodyLimitBytes: number; maxRows: number }> = {},
    ) =>
      uploadSnapshots(
        {
          knex: app.knex,
          snapshotsRepository: app.snapshotsRepository,
          areasRepository: app.areasRepository,
          dataEvents: app.dataEvents,
          limits: { bodyLimitBytes: 1024 * 1024, maxRows: 1000, ...limits },
        },
        source,
        uploader,
      )

    const storedRows = async () =>
      app
        .knex('snapshots')
        .orderBy(['area_code', 'period'])
        .select('area_code', 'period', ...valueColumns)

    const nothingStored = async (t: Tap) => {
      t.equal(await count(app, 'snapshots'), 0, 'no snapshot stored')
      t.equal(await count(app, 'upload_batches'), 0, 'no batch stored')
      t.equal(await count(app, 'areas'), 0, 'no area stored')
      t.same(emitted, [], 'nothing emitted')
    }

    t.test('uploadSnapshots (sources)', async (t) => {
      t.test(
        'when the same rows come as CSV and as JSON, then the stored rows are the same and each checksum is of what was sent',
        async (t) => {
          const text = csvOf(rows)
          const fromCsv = await upload(csvSource(text))
          t.match(fromCsv, { rows: 3, inserted: 3, revised: 0, unchanged: 0 })
          const csvRows = await storedRows()
          const csvBatch = await app
            .knex('upload_batches')
            .first('content_type', 'checksum', 'rows')
          t.same(csvBatch, { content_type: 'csv', checksum: sha256(text), rows: 3 })

          await reset()
          const fromJson = await upload(jsonSource(jsonBody))
          t.match(fromJson, { rows: 3, inserted: 3, revised: 0, unchanged: 0 })
          t.same(await storedRows(), csvRows)
          t.same(await app.knex('upload_batches').first('content_type', 'checksum', 'rows'), {
            content_type: 'json',
            checksum: sha256(JSON.stringify(jsonBody)),
            rows: 3,
          })
          t.equal(csvRows[2].parental_debt, null, 'an empty CSV cell and a JSON null are NULL')
        },
      )

      t.test(
        'when a Windows-1252 CSV with KWB headers comes with columns and charset, then it is stored as the original and the checksum is of the bytes sent',
        async (t) => {
          // what `aanwas import FILE --columns kwb --charset windows-1252` passes
          const header = ['Codering_3', 'WijkenEnBuurten', 'Perioden']
            .concat(
              valueColumns.map((column) => kwbProfile.find((e) => e.target === column)!.source),
            )
            .join(';')
          const bytes = Buffer.concat([
            Buffer.from(`${header}\nWK051828;Caf`),
            Buffer.from([0xe9]),
            Buffer.from('buurt;2024KW03;100;1;2;3;4\n'),
          ])
          const summary = await upload({
            format: 'csv',
            stream: Readable.from([bytes]),
            columns: columnMapping('kwb'),
            charset: 'windows-1252',
          })
          t.match(summary, { rows: 1, inserted: 1 })
          t.notOk('ignored_columns' in summary, 'nothing left out, nothing listed')
          t.equal(
            (await app.knex('areas').where({ area_code: 'WK051828' }).first()).area_name,
            'Cafébuurt',
          )
          t.equal((await app.knex('upload_batches').first('checksum')).checksum, sha256(bytes))
        },
      )

      t.test(
        'when a CSV arrives in many small chunks, then the checksum is of all its bytes',
        async (t) => {
          const bytes = Buffer.from(csvOf(rows))
          const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, index) =>
            bytes.subarray(index * 7, index * 7 + 7),
          )
          await upload({ format: 'csv', stream: Readable.from(chunks) })
          t.equal((await app.knex('upload_batches').first('checksum')).checksum, sha256(bytes))
        },
      )

      t.test('when the format is neither csv nor json, then 415 and nothing stored', async (t) => {
        await t.rejects(upload({ format: 'xml', body: '<rows/>' } as unknown as UploadSource), {
          statusCode: 415,
          code: 'unsupported_media_type',
        })
        await nothingStored(t)
      })
    })

    t.test('uploadSnapshots (snapshots-changed)', async (t) => {
      t.test(
        'when rows are inserted, then one event names the batch, the uploader and the change, after commit',
        async (t) => {
          const key = await createKey(app, admin, 'analyst', 'GM0518')
          const summary = await upload(csvSource(csvOf(rows)), {
            keyId: key.id,
            scope: 'GM0518',
          })
          t.equal(emitted.length, 1)
          t.same(emitted[0].payload, { batchId: summary.batch_id, keyId: key.id, changed: 3 })
          // the listener's own queries already see the whole upload: it came after the commit
          t.equal(emitted[0].visibleSnapshots, 3)
          t.same(emitted[0].visibleBatch, { inserted: 3, revised: 0, unchanged: 0 })
        },
      )

      t.test('when the same data comes again, then nothing is emitted', async (t) => {
        await upload(csvSource(csvOf(rows)))
        emitted.length = 0
        const again = await upload(jsonSource(jsonBody))
        t.match(again, { inserted: 0, revised: 0, unchanged: 3 })
        t.same(emitted, [])
        t.equal(await count(app, 'upload_batches'), 2, 'the unchanged upload is still a batch')
      })

      t.test(
        'when some rows are revised and some new, then changed counts both and nothing else',
        async (t) => {
          await upload(csvSource(csvOf(rows)))
          emitted.length = 0
          const summary = await upload(
            jsonSource([
              { ...jsonBody[0], drug_offence_suspects: 4 },
              jsonBody[1],
              { ...jsonBody[2], parental_debt: 7 },
              { ...jsonBody[1], period: '2024Q1' },
            ]),
          )
          t.match(summary, { rows: 4, inserted: 1, revised: 2, unchanged: 1 })
          t.same(
            emitted.map((event) => event.payload),
            [{ batchId: summary.batch_id, keyId: null, changed: 3 }],
          )
        },
      )

      t.test(
        'when a listener fails, then the upload still answers its summary (the data is committed)',
        async (t) => {
          failingListener = true
          t.teardown(() => {
            failingListener = false
          })
          const summary = await upload(jsonSource(jsonBody))
          t.match(summary, { inserted: 3 })
          t.equal(await count(app, 'snapshots'), 3)
          t.equal(emitted.length, 1, 'the other listeners still ran')
        },
      )
    })

    t.test('uploadSnapshots (rejections store and emit nothing)', async (t) => {
      t.test('when a CSV row is invalid, then 422 with the row error', async (t) => {
        const error = await rejection(
          upload(
            csvSource(
              csvOf([
                rows[0],
                snapshotRow({ area_code: 'BU05180103', drug_offence_suspects: 999 }),
              ]),
            ),
          ),
        )
        t.match(error, {
          statusCode: 422,
          code: 'invalid_rows',
          details: {
            total: 1,
            errors: [{ row: 3, column: 'drug_offence_suspects', message: /larger than/ }],
          },
        })
        await nothingStored(t)
      })

      t.test('when a JSON element is invalid, then 422 naming the element', async (t) => {
        const error = await rejection(
          upload(jsonSource([jsonBody[0], { ...jsonBody[1], period: '2024-07' }])),
        )
        t.match(error, {
          statusCode: 422,
          details: { errors: [{ row: 2, column: 'period', message: /not a quarter/ }] },
        })
        await nothingStored(t)
      })

      t.test(
        "when rows lie outside the uploader's municipality, then 403 out_of_scope",
        async (t) => {
          const error = await rejection(
            upload(jsonSource(jsonBody), { keyId: null, scope: 'GM0599' }),
          )
          t.match(error, { statusCode: 403, code: 'out_of_scope', details: { total: 3 } })
          await nothingStored(t)
        },
      )

      t.test('when the CSV has more bytes than the limit, then 413', async (t) => {
        const text = csvOf(rows)
        const error = await rejection(upload(csvSource(text), undefined, { bodyLimitBytes: 100 }))
        t.match(error, { statusCode: 413, code: 'payload_too_large' })
        t.ok(Buffer.byteLength(text) > 100)
        await nothingStored(t)
      })

      t.test(
        'when there are more rows than AANWAS_MAX_ROWS, then 413 for CSV and JSON',
        async (t) => {
          for (const source of [csvSource(csvOf(rows)), jsonSource(jsonBody)]) {
            const error = await rejection(upload(source, undefined, { maxRows: 2 }))
            t.match(error, {
              statusCode: 413,
              code: 'payload_too_large',
              message: /more than 2 rows/,
            })
          }
          await nothingStored(t)
        },
      )

      t.test(
        'when the stream fails half-way, then the error passes and nothing is stored',
        async (t) => {
          const failing = new Readable({
            read() {
              this.push(csvOf(rows))
              this.destroy(new Error('connection reset'))
            },
          })
          await t.rejects(upload({ format: 'csv', stream: failing }))
          await nothingStored(t)
        },
      )
    })
  })
}

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

async function count(app: FastifyInstance, table: string): Promise<number> {
  return Number((await app.knex(table).count({ n: '*' }))[0].n)
}

/** The AppError a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error('expected the upload to be rejected')
}
