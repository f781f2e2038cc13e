import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { buildTestApp, engines } from '../../helper.js'
import { fullHeader } from '../../support/snapshot-fixtures.js'
import {
  currentQuarterInAmsterdam,
  importSnapshots,
  type ImportSnapshotsOptions,
} from '../../../services/use-cases/import-snapshots.js'
import type { UploadRecord } from '../../../services/ingest/upload-records.js'
import type { SnapshotsRepository } from '../../../services/repositories/snapshots-repository.js'
import { formatQuarter } from '../../../models/periods/quarter.js'

/**
 * use-cases/import-snapshots.ts: validate every record, stage the valid rows in one transaction
 * (opened only at the first row worth staging), merge them as revisions only when the whole
 * upload is valid and in scope; otherwise read the rest without the database for the complete
 * error list and store nothing. Records are given directly here, as the ingest readers make them.
 */

const header: UploadRecord = { kind: 'header', names: fullHeader.split(',') }

/** A CSV data record (fields by position), row numbers as in a file (the header is row 1). */
function fields(row: number, values: Array<string | number | null>): UploadRecord {
  return {
    kind: 'fields',
    row,
    fields: values.map((value) => (value === null ? '' : String(value))),
  }
}

const centrum = (row: number, period = '2024Q3', suspects: number | null = 3) =>
  fields(row, ['BU05180101', 'Centrum', period, 200, 12, 8, 20, suspects])
const zuid = (row: number, period = '2024Q3') =>
  fields(row, ['BU05180102', 'Zuid', period, 150, 10, 5, 15, 2])

const options = (overrides: Partial<ImportSnapshotsOptions> = {}): ImportSnapshotsOptions => ({
  keyId: null,
  contentType: 'csv',
  maxRows: 100,
  checksum: () => 'c'.repeat(64),
  ...overrides,
})

/** A record source that notes whether it was stopped early (`return()`) and how far it was read. */
function trackedRecords(records: UploadRecord[]) {
  const state = { taken: 0, stopped: false, finished: false }
  async function* source() {
    try {
      for (const record of records) {
        state.taken += 1
        yield record
      }
      state.finished = true
    } finally {
      if (!state.finished) state.stopped = true
    }
  }
  return { records: source(), state }
}

/** The knex instance with `transaction` refused: proves a code path takes no connection. */
function withoutTransactions(knex: Knex): Knex {
  return new Proxy(knex, {
    get(target, property, receiver) {
      if (property === 'transaction') {
        return () => {
          throw new Error('no transaction may be opened here')
        }
      }
      return Reflect.get(target, property, receiver)
    },
  })
}

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, reset } = await buildTestApp(t, engine)
    t.beforeEach(() => reset())
    const repositories = () => ({
      snapshots: app.snapshotsRepository,
      areas: app.areasRepository,
    })
    const run = (
      records: Iterable<UploadRecord> | AsyncIterable<UploadRecord>,
      overrides: Partial<ImportSnapshotsOptions> = {},
      knex: Knex = app.knex,
      repos = repositories(),
    ) => importSnapshots(knex, repos, records, options(overrides))

    t.test('importSnapshots (stores)', async (t) => {
      t.test(
        'when every record is valid, then the rows, their areas with ancestors and one batch are stored',
        async (t) => {
          const summary = await run([header, centrum(2), zuid(3)], {
            checksum: () => 'a'.repeat(64),
          })
          t.match(summary, {
            batch_id: /^[0-9a-f-]{36}$/,
            rows: 2,
            inserted: 2,
            revised: 0,
            unchanged: 0,
          })
          t.same(await counts(app), { snapshots: 2, batches: 1, areas: 4 })
          t.match(await app.knex('upload_batches').first(), {
            id: summary.batch_id,
            key_id: null,
            content_type: 'csv',
            checksum: 'a'.repeat(64),
            rows: 2,
            inserted: 2,
            revised: 0,
            unchanged: 0,
          })
          t.same(
            await app
              .knex('areas')
              .orderBy('area_code')
              .select('area_code', 'level', 'parent_code'),
            [
              { area_code: 'BU05180101', level: 'neighbourhood', parent_code: 'WK051801' },
              { area_code: 'BU05180102', level: 'neighbourhood', parent_code: 'WK051801' },
              { area_code: 'GM0518', level: 'municipality', parent_code: null },
              { area_code: 'WK051801', level: 'district', parent_code: 'GM0518' },
            ],
          )
        },
      )

      t.test(
        'when a row differs from the current one (a NULL over a value too), then it is revised and the old one kept as history',
        async (t) => {
          await run([header, centrum(2), zuid(3)])
          const summary = await run([header, centrum(2, '2024Q3', null), zuid(3)])
          t.match(summary, { rows: 2, inserted: 0, revised: 1, unchanged: 1 })
          const centrumRows = await app
            .knex('snapshots')
            .where({ area_code: 'BU05180101' })
            .orderBy('id')
            .select('drug_offence_suspects', 'valid_to', 'batch_id')
          t.equal(centrumRows.length, 2)
          t.equal(centrumRows[0].drug_offence_suspects, 3)
          t.not(centrumRows[0].valid_to, null, 'the old revision is closed')
          t.equal(centrumRows[1].drug_offence_suspects, null)
          t.equal(centrumRows[1].valid_to, null, 'the new revision is current')
          t.equal(centrumRows[1].batch_id, summary.batch_id)
        },
      )

      t.test('when JSON records use other key cases, then they are matched', async (t) => {
        const values = {
          AREA_CODE: 'BU05180101',
          Period: '2024Q3',
          Youth_Population: 100,
          early_school_leavers: 1,
          HALT_registrations: 2,
          parental_debt: 3,
          drug_offence_suspects: 4,
        }
        const summary = await run(
          [
            { kind: 'header', names: Object.keys(values) },
            { kind: 'row', row: 1, values },
          ],
          { contentType: 'json' },
        )
        t.match(summary, { rows: 1, inserted: 1 })
        t.equal((await app.knex('upload_batches').first('content_type')).content_type, 'json')
      })

      t.test(
        'when `now` is given, then the no-future rule uses its quarter in Amsterdam',
        async (t) => {
          // 23:30 UTC on 31 December is already the next year in Amsterdam
          const now = new Date('2019-12-31T23:30:00Z')
          t.equal(formatQuarter(currentQuarterInAmsterdam(now)), '2020Q1')
          t.match(await run([header, centrum(2, '2020Q1')], { now }), { inserted: 1 })
          await t.rejects(run([header, centrum(2, '2020Q2')], { now }), {
            statusCode: 422,
            code: 'invalid_rows',
            details: { errors: [{ row: 2, column: 'period', message: /in the future/ }] },
          })
        },
      )
    })

    t.test('importSnapshots (rejections)', async (t) => {
      t.test(
        'when a later row fails, then every error of the whole upload is listed in row order and nothing is stored',
        async (t) => {
          const { records, state } = trackedRecords([
            header,
            centrum(2),
            fields(3, ['BU05180102', '', '2024Q2', 10, 1, 1, 11, 1]),
            zuid(4),
            fields(5, ['BU0518', '', '2024Q3', 10, 1, 1, 1, 1]),
          ])
          await t.rejects(run(records), {
            statusCode: 422,
            code: 'invalid_rows',
            message: /2 error\(s\).*nothing was stored/,
            details: {
              total: 2,
              errors: [
                { row: 3, column: 'parental_debt' },
                { row: 5, column: 'area_code' },
              ],
            },
          })
          t.equal(state.taken, 5, 'the rest was read for its errors')
          t.same(await counts(app), { snapshots: 0, batches: 0, areas: 0 })
        },
      )

      t.test(
        'when rows are out of scope and others invalid, then 403 comes before 422',
        async (t) => {
          await t.rejects(
            run(
              [
                header,
                fields(2, ['BU05990101', '', '2024Q3', 10, 1, 1, 1, 1]),
                fields(3, ['BU05180101', '', '2024Q3', 10, 1, 1, 1, 99]),
              ],
              { scope: 'GM0518' },
            ),
            { statusCode: 403, code: 'out_of_scope', details: { total: 1, errors: [{ row: 2 }] } },
          )
          t.same(await counts(app), { snapshots: 0, batches: 0, areas: 0 })
        },
      )

      t.test(
        'when the header or the first rows fail, then no transaction is ever opened',
        async (t) => {
          const noTransactions = withoutTransactions(app.knex)
          await t.rejects(
            run(
              [
                { kind: 'header', names: [...fullHeader.split(','), 'secret_column'] },
                fields(2, ['BU05180101', 'Centrum', '2024Q3', 200, 12, 8, 20, 3, 'x']),
              ],
              {},
              noTransactions,
            ),
            {
              statusCode: 422,
              code: 'invalid_rows',
              details: { errors: [{ row: 1, column: 'secret_column' }] },
            },
          )
          await t.rejects(
            run(
              [header, { kind: 'error', row: 2, column: null, message: 'broken quoting' }, zuid(3)],
              {},
              noTransactions,
            ),
            {
              statusCode: 422,
              code: 'invalid_rows',
              details: { errors: [{ row: 2, message: 'broken quoting' }] },
            },
          )
        },
      )

      t.test('when there is a header and no row, then 422 "no data rows"', async (t) => {
        await t.rejects(run([header]), {
          statusCode: 422,
          code: 'invalid_rows',
          details: { errors: [{ row: 1, message: 'the upload has no data rows' }] },
        })
      })

      t.test('when there are no records at all, then 422 "the upload is empty"', async (t) => {
        await t.rejects(run([]), {
          statusCode: 422,
          code: 'invalid_rows',
          details: { errors: [{ row: 1, message: 'the upload is empty' }] },
        })
      })

      t.test(
        'when there are more rows than maxRows, then 413 and the record source is stopped',
        async (t) => {
          const { records, state } = trackedRecords([
            header,
            centrum(2),
            zuid(3),
            centrum(4, '2024Q2'),
            zuid(5, '2024Q2'),
          ])
          await t.rejects(run(records, { maxRows: 2 }), {
            statusCode: 413,
            code: 'payload_too_large',
          })
          t.ok(state.stopped, 'the source was returned early')
          t.equal(state.taken, 4, 'nothing was read past the row over the limit')
          t.same(await counts(app), { snapshots: 0, batches: 0, areas: 0 })
        },
      )

      t.test(
        'when the database fails while merging, then the error passes and nothing is stored (atomic)',
        async (t) => {
          const failing: SnapshotsRepository = {
            ...app.snapshotsRepository,
            mergeStaging: async () => {
              throw new Error('merge failed')
            },
          }
          await t.rejects(
            run([header, centrum(2), zuid(3)], {}, app.knex, {
              snapshots: failing,
              areas: app.areasRepository,
            }),
            { message: 'merge failed' },
          )
          // the batch and the areas were written before the merge: rolled back with it
          t.same(await counts(app), { snapshots: 0, batches: 0, areas: 0 })
          t.match(await run([header, centrum(2)]), { inserted: 1 }, 'the next upload succeeds')
        },
      )
    })
  })
}

async function counts(app: FastifyInstance) {
  const count = async (table: string) => Number((await app.knex(table).count({ n: '*' }))[0].n)
  return {
    snapshots: await count('snapshots'),
    batches: await count('upload_batches'),
    areas: await count('areas'),
  }
}
