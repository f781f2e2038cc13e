import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, engines } from '../../helper.js'
import type { AuditEntry } from '../../../services/repositories/audit-repository.js'

/**
 * The audit repository (services/repositories/audit-repository.ts) on each engine: batches are
 * written (COPY on PostgreSQL, one JSON statement per 10,000 on PGlite) and listed newest first.
 * No request is made in this file, so the audit hook adds no entries of its own.
 */

const base = Date.parse('2026-03-01T12:00:00.000Z')

const entry = (minute: number, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  at: new Date(base + minute * 60_000),
  key_id: null,
  method: 'GET',
  route: '/v1/areas/:code/snapshots',
  area_code: 'BU05180101',
  exact_read: true,
  status_code: 200,
  rows: 4,
  ...overrides,
})

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, reset } = await buildTestApp(t, engine)
    const repository = app.auditRepository
    t.beforeEach(() => reset())

    const storedRows = () =>
      app
        .knex('audit_log')
        .select('at', 'key_id', 'method', 'route', 'area_code', 'exact_read', 'status_code', 'rows')
        .orderBy('id')

    t.test('insertMany', async (t) => {
      t.test('when the batch is empty, then nothing is written', async (t) => {
        await repository.insertMany([])

        t.same(await storedRows(), [])
      })

      t.test(
        'when entries hold NULLs, quotes, commas and newlines, then every field is stored as given',
        async (t) => {
          const keyId = randomUUID()
          const entries = [
            entry(0, { key_id: keyId }),
            entry(1, {
              method: 'POST',
              route: '/v1/snapshots?x="a,b"\n\'c\'',
              area_code: null,
              exact_read: false,
              status_code: 422,
              rows: null,
            }),
            entry(2, { route: '', area_code: 'GM0518', rows: 0 }),
          ]

          await repository.insertMany(entries)

          const rows = await storedRows()
          t.same(
            rows.map((row) => ({ ...row, at: row.at.toISOString() })),
            entries.map((given) => ({ ...given, at: given.at.toISOString() })),
          )
        },
      )

      t.test(
        'when the batch is larger than one statement, then every entry is stored',
        async (t) => {
          const entries = Array.from({ length: 10_050 }, (_, index) =>
            entry(index, { rows: index }),
          )

          await repository.insertMany(entries)

          const [{ n, total }] = await app
            .knex('audit_log')
            .select(app.knex.raw('count(*)::int AS n, sum(rows)::bigint AS total'))
          t.equal(Number(n), 10_050)
          t.equal(Number(total), (10_049 * 10_050) / 2)
        },
      )
    })

    t.test('list', async (t) => {
      t.test('when entries are listed, then the newest come first, ties by id', async (t) => {
        await repository.insertMany([entry(0), entry(5, { route: 'a' }), entry(5, { route: 'b' })])

        const { items, total } = await repository.list({ limit: 10, offset: 0 })

        t.equal(total, 3)
        t.same(
          items.map((row) => row.route),
          ['b', 'a', '/v1/areas/:code/snapshots'],
        )
        t.same(Object.keys(items[0]).sort(), [
          'area_code',
          'at',
          'exact_read',
          'id',
          'key_id',
          'method',
          'route',
        ])
      })

      t.test(
        'when filtered by key and time, then from is inclusive and to exclusive; the total counts every match',
        async (t) => {
          const keyId = randomUUID()
          await repository.insertMany([
            entry(0, { key_id: keyId }),
            entry(10, { key_id: keyId }),
            entry(20, { key_id: keyId }),
            entry(10, { key_id: randomUUID() }),
            entry(10),
          ])

          const ofKey = await repository.list({ keyId, limit: 10, offset: 0 })
          const window = await repository.list({
            keyId,
            from: new Date(base + 10 * 60_000),
            to: new Date(base + 20 * 60_000),
            limit: 10,
            offset: 0,
          })
          const allAtTen = await repository.list({
            from: new Date(base + 10 * 60_000),
            to: new Date(base + 10 * 60_000 + 1),
            limit: 1,
            offset: 1,
          })

          t.equal(ofKey.total, 3)
          t.same(
            window.items.map((row) => row.at.getTime()),
            [base + 10 * 60_000],
          )
          t.equal(window.total, 1)
          t.equal(allAtTen.total, 3, 'the total before paging')
          t.equal(allAtTen.items.length, 1)
        },
      )
    })
  })
}
