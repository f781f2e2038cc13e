import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, engines, type TestApp } from '../../helper.js'
import { snapshotRow, type SnapshotFixture } from '../../support/snapshot-fixtures.js'
import { databaseNow, plainPanel, uploadRows } from '../../support/repository-fixtures.js'
import type { SnapshotPanel } from '../../../services/db/snapshot-panel.js'
import type { ValueColumn } from '../../../models/vocabulary/indicators.js'
import type { ValidSnapshotRow } from '../../../services/ingest/snapshot-validator.js'

/**
 * The snapshots repository (services/repositories/snapshots-repository.ts) on each engine: the
 * panel reader with every filter, the data version, history and the sibling reads of disclosure.
 * Data arrives through `POST /v1/snapshots`; the repository is called as `app.snapshotsRepository`.
 */

const centrum = 'BU05180101'
const haven = 'BU05180102'
const duinen = 'BU05180201'
const elders = 'BU05990101'
const district = 'WK051801'
const municipality = 'GM0518'

const at = (
  area_code: string,
  period: string,
  values: [number, number | null, number | null, number | null, number | null],
  area_name: string | null = null,
): SnapshotFixture =>
  snapshotRow({
    area_code,
    area_name,
    period,
    youth_population: values[0],
    early_school_leavers: values[1],
    halt_registrations: values[2],
    parental_debt: values[3],
    drug_offence_suspects: values[4],
  })

/** Neighbourhoods of two municipalities with a gap and a NULL, and a district and municipality row. */
const firstUpload = [
  at(centrum, '2023Q4', [200, 12, 8, 20, 3], 'Centrum'),
  at(centrum, '2024Q1', [210, null, 8, 20, 4], 'Centrum'),
  at(centrum, '2024Q3', [205, 10, 7, 19, 2], 'Centrum'),
  at(haven, '2024Q1', [150, 5, 5, 5, 1], 'Haven'),
  at(haven, '2024Q2', [150, 5, 5, 5, 0], 'Haven'),
  at(duinen, '2024Q2', [90, 1, 1, 1, 1], 'Duinen'),
  at(elders, '2024Q1', [300, 30, 30, 30, 9], 'Elders'),
  at(district, '2024Q1', [360, 10, 10, 10, 5]),
  at(municipality, '2024Q1', [1000, 50, 50, 50, 20]),
]

/** Revises Centrum 2024Q1 (a count to NULL, another changed), adds Duinen 2024Q3, repeats Haven. */
const revision = [
  at(centrum, '2024Q1', [210, null, null, 20, 6], 'Centrum'),
  at(duinen, '2024Q3', [92, 2, 2, 2, 2], 'Duinen'),
  at(haven, '2024Q1', [150, 5, 5, 5, 1], 'Haven'),
]

/** A cell of the panel: its value, 'NaN' for NULL, 'absent' without a row, 'no area'. */
function cell(panel: SnapshotPanel, code: string, period: string, column: ValueColumn) {
  const area = panel.areaIndex.get(code)
  const quarter = panel.periodIndex.get(period)
  if (area === undefined) return 'no area'
  if (quarter === undefined) return 'no quarter'
  const index = area * panel.periods.length + quarter
  if (!panel.present[index]) return 'absent'
  const value = panel.values[column][index]
  return Number.isNaN(value) ? 'NaN' : value
}

const codes = (panel: SnapshotPanel) => panel.areas.map((area) => area.area_code)

for (const engine of engines) {
  t.test(engine, async (t) => {
    const testApp = await buildTestApp(t, engine)
    const { app, admin, reset } = testApp
    const repository = app.snapshotsRepository
    t.beforeEach(() => reset())

    t.test('isEmpty and dataVersion', async (t) => {
      t.test('when nothing is stored, then the store is empty with a version', async (t) => {
        const empty = await repository.isEmpty()
        const version = await repository.dataVersion()

        t.equal(empty, true)
        t.match(version, /^\d+$/)
      })

      t.test(
        'when an upload changes data, then the version moves; when the same rows come again, then it stays',
        async (t) => {
          const before = await repository.dataVersion()
          await uploadRows(app, admin, firstUpload)
          const afterFirst = await repository.dataVersion()

          const again = await uploadRows(app, admin, firstUpload)
          const afterRedelivery = await repository.dataVersion()
          const revised = await uploadRows(app, admin, revision)
          const afterRevision = await repository.dataVersion()

          t.equal(await repository.isEmpty(), false)
          t.not(afterFirst, before)
          t.match(again, { inserted: 0, revised: 0, unchanged: firstUpload.length })
          t.equal(afterRedelivery, afterFirst, 'an identical re-delivery keeps the version')
          t.match(revised, { inserted: 1, revised: 1, unchanged: 1 })
          t.not(afterRevision, afterFirst, 'a changing upload moves it')
          const stored = await app.knex('snapshots').count<{ n: number }[]>({ n: '*' })
          t.equal(Number(stored[0].n), firstUpload.length + 2, 'one row per change, none else')
        },
      )

      t.test('when a panel is read, then it carries the data version of its read', async (t) => {
        await uploadRows(app, admin, firstUpload)

        const panel = await repository.currentPanel()

        t.equal(panel.dataVersion, await repository.dataVersion())
      })
    })

    t.test('currentPanel', async (t) => {
      t.test('when nothing is stored, then the panel is empty', async (t) => {
        const panel = await repository.currentPanel()

        t.same(plainPanel(panel), {
          periods: [],
          areas: [],
          present: [],
          values: plainPanel(panel).values,
        })
        t.equal(panel.present.length, 0)
      })

      t.test(
        'when no filter is given, then every neighbourhood with rows comes, in code order, over consecutive quarters',
        async (t) => {
          await uploadRows(app, admin, firstUpload)

          const panel = await repository.currentPanel()

          t.same(codes(panel), [centrum, haven, duinen, elders])
          t.same(panel.periods, ['2023Q4', '2024Q1', '2024Q2', '2024Q3'])
          t.same(panel.areas[0], {
            area_code: centrum,
            area_name: 'Centrum',
            parent_code: district,
            municipality_code: municipality,
          })
          t.equal(cell(panel, centrum, '2024Q2', 'drug_offence_suspects'), 'absent', 'a gap')
          t.equal(cell(panel, centrum, '2024Q1', 'early_school_leavers'), 'NaN', 'a NULL')
          t.equal(cell(panel, centrum, '2024Q1', 'drug_offence_suspects'), 4)
          t.equal(cell(panel, haven, '2024Q2', 'drug_offence_suspects'), 0, 'a zero stays 0')
          t.equal(cell(panel, elders, '2024Q1', 'youth_population'), 300)
        },
      )

      t.test('when a level is asked, then only areas of that level come', async (t) => {
        await uploadRows(app, admin, firstUpload)

        const districts = await repository.currentPanel({ level: 'district' })
        const municipalities = await repository.currentPanel({ level: 'municipality' })

        t.same(codes(districts), [district])
        t.same(districts.periods, ['2024Q1'])
        t.equal(cell(districts, district, '2024Q1', 'youth_population'), 360)
        t.same(codes(municipalities), [municipality])
        t.equal(cell(municipalities, municipality, '2024Q1', 'drug_offence_suspects'), 20)
      })

      t.test(
        'when a municipality or a district is asked, then only its neighbourhoods come',
        async (t) => {
          await uploadRows(app, admin, firstUpload)

          const other = await repository.currentPanel({ municipality: 'GM0599' })
          const own = await repository.currentPanel({ municipality })
          const inDistrict = await repository.currentPanel({ district })

          t.same(codes(other), [elders])
          t.same(other.periods, ['2024Q1'], 'the quarters of its own rows only')
          t.same(codes(own), [centrum, haven, duinen])
          t.same(codes(inDistrict), [centrum, haven])
        },
      )

      t.test('when areas are named, then exactly those come, whatever their level', async (t) => {
        await uploadRows(app, admin, firstUpload)

        const panel = await repository.currentPanel({ areas: [elders, district, 'BU05189999'] })

        t.same(codes(panel), [elders, district], 'an area without rows is left out')
        t.same(panel.periods, ['2024Q1'])
      })

      t.test('when from and to are given, then only quarters within them come', async (t) => {
        await uploadRows(app, admin, firstUpload)

        const panel = await repository.currentPanel({ from: '2024Q1', to: '2024Q2' })
        const fromOnly = await repository.currentPanel({ from: '2024Q3' })

        t.same(panel.periods, ['2024Q1', '2024Q2'])
        t.same(codes(panel), [centrum, haven, duinen, elders])
        t.same(fromOnly.periods, ['2024Q3'])
        t.same(codes(fromOnly), [centrum])
      })

      t.test(
        'when exact periods are given, then only their rows come, on consecutive quarters between them',
        async (t) => {
          await uploadRows(app, admin, firstUpload)

          const panel = await repository.currentPanel({ periods: ['2023Q4', '2024Q3'] })

          t.same(codes(panel), [centrum])
          t.same(panel.periods, ['2023Q4', '2024Q1', '2024Q2', '2024Q3'])
          t.same(
            panel.periods.map((period) => cell(panel, centrum, period, 'drug_offence_suspects')),
            [3, 'absent', 'absent', 2],
            'the quarters between are not read',
          )
        },
      )

      t.test(
        'when read as of a time before a revision, then the values then known come; now, the revised ones',
        async (t) => {
          const before = await databaseNow(app.knex)
          await uploadRows(app, admin, firstUpload)
          const between = await databaseNow(app.knex)
          await uploadRows(app, admin, revision)

          const then = await repository.currentPanel({ municipality, asOf: between })
          const now = await repository.currentPanel({ municipality })
          const beforeAny = await repository.currentPanel({ asOf: before })

          t.equal(cell(then, centrum, '2024Q1', 'drug_offence_suspects'), 4)
          t.equal(cell(then, centrum, '2024Q1', 'halt_registrations'), 8)
          t.same(then.periods, ['2023Q4', '2024Q1', '2024Q2', '2024Q3'])
          t.equal(cell(then, duinen, '2024Q3', 'youth_population'), 'absent', 'added later')
          t.equal(cell(now, centrum, '2024Q1', 'drug_offence_suspects'), 6)
          t.equal(cell(now, centrum, '2024Q1', 'halt_registrations'), 'NaN', 'revised to NULL')
          t.equal(cell(now, duinen, '2024Q3', 'youth_population'), 92)
          t.same(codes(beforeAny), [])
          t.same(beforeAny.periods, [])
        },
      )

      t.test(
        'when read inside a caller transaction or on the plain connection, then the panel is the same',
        async (t) => {
          await uploadRows(app, admin, firstUpload)
          await uploadRows(app, admin, revision)

          const own = await repository.currentPanel({ municipality })
          const inTransaction = await app.knex.transaction((trx) =>
            repository.currentPanel({ municipality }, trx),
          )
          // not a transaction: PostgreSQL reads the aggregated text instead of COPY
          const plainConnection = await repository.currentPanel({ municipality }, app.knex)

          t.same(plainPanel(inTransaction), plainPanel(own))
          t.same(plainPanel(plainConnection), plainPanel(own))
        },
      )
    })

    t.test('history', async (t) => {
      t.test(
        'when an area has rows, then its current rows come by period with a total before paging',
        async (t) => {
          const first = await uploadRows(app, admin, firstUpload)

          const all = await repository.history(centrum, { limit: 10, offset: 0 })
          const page = await repository.history(centrum, { limit: 1, offset: 1 })
          const window = await repository.history(centrum, {
            from: '2024Q1',
            to: '2024Q2',
            limit: 10,
            offset: 0,
          })

          t.same(
            all.items.map((row) => row.period),
            ['2023Q4', '2024Q1', '2024Q3'],
          )
          t.equal(all.total, 3)
          t.match(all.items[1], {
            area_code: centrum,
            youth_population: 210,
            early_school_leavers: null,
            drug_offence_suspects: 4,
            batch_id: first.batch_id,
          })
          t.ok(all.items[0].recorded_at instanceof Date, 'recorded_at is the time it was stored')
          t.same([page.items.length, page.items[0].period, page.total], [1, '2024Q1', 3])
          t.same(
            window.items.map((row) => row.period),
            ['2024Q1'],
          )
        },
      )

      t.test(
        'when asked as of a time before a revision, then the revision then valid comes',
        async (t) => {
          const first = await uploadRows(app, admin, firstUpload)
          const between = await databaseNow(app.knex)
          const second = await uploadRows(app, admin, revision)

          const then = await repository.history(centrum, {
            asOf: between,
            limit: 10,
            offset: 0,
          })
          const now = await repository.history(centrum, { limit: 10, offset: 0 })

          t.match(then.items[1], {
            period: '2024Q1',
            drug_offence_suspects: 4,
            batch_id: first.batch_id,
          })
          t.match(now.items[1], {
            period: '2024Q1',
            drug_offence_suspects: 6,
            halt_registrations: null,
            batch_id: second.batch_id,
          })
          t.equal(then.total, 3)
          t.equal(now.total, 3, 'a revision is not a second row of the period')
        },
      )

      t.test('when the area has no rows, then nothing comes', async (t) => {
        await uploadRows(app, admin, firstUpload)

        const none = await repository.history('BU05189999', { limit: 10, offset: 0 })

        t.same(none, { items: [], total: 0 })
      })
    })

    t.test('siblingsAt', async (t) => {
      t.test(
        'when a district is given, then its neighbourhoods’ rows at the periods come and nothing else',
        async (t) => {
          await uploadRows(app, admin, firstUpload)

          const rows = await repository.siblingsAt(district, ['2024Q1', '2024Q2'])

          t.same(
            rows.map((row) => `${row.area_code} ${row.period}`).sort(),
            [`${centrum} 2024Q1`, `${haven} 2024Q1`, `${haven} 2024Q2`],
            'no district row, no other district, no other period',
          )
          t.match(
            rows.find((row) => row.area_code === centrum)!,
            {
              youth_population: 210,
              early_school_leavers: null,
            },
          )
        },
      )

      t.test('when no periods are given, then nothing comes', async (t) => {
        await uploadRows(app, admin, firstUpload)

        const rows = await repository.siblingsAt(district, [])

        t.same(rows, [])
      })

      t.test(
        'when asked as of a time before a revision, then the values then valid come',
        async (t) => {
          await uploadRows(app, admin, firstUpload)
          const between = await databaseNow(app.knex)
          await uploadRows(app, admin, revision)

          const then = await repository.siblingsAt(district, ['2024Q1'], between)
          const now = await repository.siblingsAt(district, ['2024Q1'])

          const centrumThen = then.find((row) => row.area_code === centrum)!
          const centrumNow = now.find((row) => row.area_code === centrum)!
          t.equal(then.length, 2)
          t.same([centrumThen.drug_offence_suspects, centrumThen.halt_registrations], [4, 8])
          t.same([centrumNow.drug_offence_suspects, centrumNow.halt_registrations], [6, null])
        },
      )
    })

    t.test('periodsWithNeighbourhoods', async (t) => {
      t.test(
        'when a district or municipality is given, then the periods among those asked with a neighbourhood row come',
        async (t) => {
          await uploadRows(app, admin, firstUpload)
          const asked = ['2023Q4', '2024Q1', '2024Q2', '2024Q3', '2024Q4']

          const ofDistrict = await repository.periodsWithNeighbourhoods(
            { area_code: 'WK051802', level: 'district' },
            asked,
          )
          const ofMunicipality = await repository.periodsWithNeighbourhoods(
            { area_code: 'GM0599', level: 'municipality' },
            asked,
          )
          const ofNeighbourhood = await repository.periodsWithNeighbourhoods(
            { area_code: centrum, level: 'neighbourhood' },
            asked,
          )
          const nothingAsked = await repository.periodsWithNeighbourhoods(
            { area_code: district, level: 'district' },
            [],
          )

          t.same([...ofDistrict].sort(), ['2024Q2'])
          t.same([...ofMunicipality].sort(), ['2024Q1'])
          t.same([...ofNeighbourhood], [], 'a neighbourhood has none below it')
          t.same([...nothingAsked], [])
        },
      )

      t.test(
        'when asked as of a time before a row was added, then that period is not there',
        async (t) => {
          await uploadRows(app, admin, firstUpload)
          const between = await databaseNow(app.knex)
          await uploadRows(app, admin, revision)
          const area = { area_code: 'WK051802', level: 'district' }

          const then = await repository.periodsWithNeighbourhoods(
            area,
            ['2024Q2', '2024Q3'],
            between,
          )
          const now = await repository.periodsWithNeighbourhoods(area, ['2024Q2', '2024Q3'])

          t.same([...then].sort(), ['2024Q2'])
          t.same([...now].sort(), ['2024Q2', '2024Q3'])
        },
      )
    })
  })
}

/** A larger panel with NULLs, zeros, gaps, a revision and two municipalities. */
function largerUpload(): { rows: SnapshotFixture[]; revised: SnapshotFixture[] } {
  const rows: SnapshotFixture[] = []
  for (let area = 0; area < 60; area += 1) {
    const municipalityDigits = area < 40 ? '0518' : '0599'
    const code = `BU${municipalityDigits}${String(1 + (area % 3)).padStart(2, '0')}${String(area).padStart(2, '0')}`
    for (let quarter = 0; quarter < 36; quarter += 1) {
      if ((area * 7 + quarter) % 11 === 0) continue // a gap
      const population = 100 + ((area * 13 + quarter * 5) % 400)
      const count = (k: number) =>
        (area + quarter + k) % 9 === 0 ? null : (area * 3 + quarter * k) % (population + 1)
      rows.push(
        at(
          code,
          `${2016 + Math.floor(quarter / 4)}Q${(quarter % 4) + 1}`,
          [population, count(1), count(2), count(3), count(4)],
          `Buurt ${area}`,
        ),
      )
    }
  }
  const revised = rows
    .filter((_, index) => index % 17 === 0)
    .map((row) => ({ ...row, drug_offence_suspects: null, parental_debt: 0 }))
  return { rows, revised }
}

t.test(
  'the panel read on PostgreSQL (COPY) and on PGlite (aggregated text) is the same for the same data',
  { skip: engines.includes('postgres') ? false : 'needs TEST_DATABASE_URL (PostgreSQL)' },
  async (t) => {
    const apps: TestApp[] = [await buildTestApp(t, 'pglite'), await buildTestApp(t, 'postgres')]
    const { rows, revised } = largerUpload()
    const times: Date[] = []
    for (const { app, admin } of apps) {
      await uploadRows(app, admin, rows)
      times.push(await databaseNow(app.knex))
      await uploadRows(app, admin, revised)
    }
    const filters = [
      {},
      { municipality: 'GM0599' },
      { district: 'WK051802', from: '2018Q2', to: '2022Q3' },
      { periods: ['2016Q1', '2019Q4', '2024Q4'] },
      { areas: [rows[0].area_code, rows[rows.length - 1].area_code] },
    ]

    for (const filter of filters) {
      const [embedded, server] = await Promise.all(
        apps.map(({ app }) => app.snapshotsRepository.currentPanel(filter)),
      )
      t.ok(embedded.areas.length > 0, `${JSON.stringify(filter)} reads rows`)
      t.same(plainPanel(server), plainPanel(embedded), JSON.stringify(filter))
    }
    const [embeddedThen, serverThen] = await Promise.all(
      apps.map(({ app }, index) => app.snapshotsRepository.currentPanel({ asOf: times[index] })),
    )
    t.same(plainPanel(serverThen), plainPanel(embeddedThen), 'as of before the revision')
    t.not(
      JSON.stringify(plainPanel(serverThen)),
      JSON.stringify(plainPanel(await apps[1].app.snapshotsRepository.currentPanel())),
      'the revision changed the panel',
    )
    const serverAggregated = await apps[1].app.snapshotsRepository.currentPanel(
      {},
      apps[1].app.knex,
    )
    t.same(
      plainPanel(serverAggregated),
      plainPanel(await apps[0].app.snapshotsRepository.currentPanel()),
      'PostgreSQL through the aggregated text too',
    )
  },
)

t.test(
  'dataVersion with uploads that commit out of order',
  { skip: engines.includes('postgres') ? false : 'needs TEST_DATABASE_URL (PostgreSQL)' },
  async (t) => {
    const { app } = await buildTestApp(t, 'postgres')
    const repository = app.snapshotsRepository

    /** Stages and merges one row in an open transaction (as the import use case does). */
    const openUpload = async (area_code: string) => {
      const trx = await app.knex.transaction()
      const batchId = randomUUID()
      await repository.createBatch(
        { id: batchId, keyId: null, contentType: 'text/csv', checksum: '0'.repeat(64), rows: 1 },
        trx,
      )
      const staging = await repository.openStaging(trx)
      await staging.add({
        ...at(area_code, '2024Q1', [100, 1, 1, 1, 1]),
        row: 2,
      } as ValidSnapshotRow)
      await staging.finish()
      await repository.mergeStaging(batchId, trx)
      return trx
    }

    t.test(
      'when two uploads overlap, then each commit moves the version past the last, in commit order',
      async (t) => {
        const before = Number(await repository.dataVersion())
        // the first upload has inserted (the lower ids) and not committed; the second's merge
        // waits for it at the version's row lock, so the first cannot commit last unseen
        const first = await openUpload(centrum)
        const secondOpened = openUpload(elders)
        await new Promise((resolve) => setTimeout(resolve, 100))
        await first.commit()
        const afterFirst = Number(await repository.dataVersion())
        const second = await secondOpened
        await second.commit()
        const afterSecond = Number(await repository.dataVersion())

        const [{ n }] = await app.knex('snapshots').count<{ n: number }[]>({ n: '*' })
        t.equal(Number(n), 2, 'both uploads are stored')
        t.ok(afterFirst > before, `${before} → ${afterFirst}`)
        t.ok(afterSecond > afterFirst, `${afterFirst} → ${afterSecond}`)
      },
    )

    t.test('when an upload changes nothing, then the version stays', async (t) => {
      const before = await repository.dataVersion()
      const again = await openUpload(centrum)
      await again.commit()
      t.equal(await repository.dataVersion(), before)
    })
  },
)
