import t from 'tap'
import { validateAreaLinks } from '../../../services/ingest/area-link-validator.js'

/**
 * services/ingest/area-link-validator.ts: every rule of an area-link upload, each error naming
 * its row and column, all errors of an upload together.
 */

const header = ['from_year', 'from_code', 'to_year', 'to_code', 'weight']
/**
 * Rows as the CSV reader hands them over (services/ingest/upload-records.ts is tested on its
 * own): keyed by header, numbered from row 2.
 */
const csvRows = (...lines: string[]) =>
  [
    lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [header[i], cell]))),
    lines.map((_, index) => index + 2),
    header,
  ] as const

t.test('validateAreaLinks', async (t) => {
  t.test('when Amsterdam 2022→2023 is given, then the split and the merge are read', async (t) => {
    const result = validateAreaLinks(
      ...csvRows(
        '2022,WK036393,2023,WK0363TB,0.36',
        '2022,WK036393,2023,WK0363TC,0.39',
        '2022,WK036393,2023,WK0363TD,0.26',
        '2022,WK036378,2023,WK0363FB,1',
        '2022,WK036379,2023,WK0363FB,1',
      ),
    )
    t.ok(result.ok)
    if (result.ok) {
      t.equal(result.links.length, 5)
      t.same(result.links[0], {
        from_year: 2022,
        from_code: 'WK036393',
        to_year: 2023,
        to_code: 'WK0363TB',
        weight: 0.36,
      })
    }
  })

  t.test(
    'when weights of one area do not sum to 1 ± 0.01, then its first row says so',
    async (t) => {
      const result = validateAreaLinks(
        ...csvRows('2022,WK036393,2023,WK0363TB,0.36', '2022,WK036393,2023,WK0363TC,0.39'),
      )
      t.same(result, {
        ok: false,
        total: 1,
        errors: [
          {
            row: 2,
            column: 'weight',
            message: 'the weights of WK036393 (2022) sum to 0.75, not 1 ± 0.01 (rows 2, 3)',
          },
        ],
      })
    },
  )

  t.test('when each cell breaks a rule, then every error comes back with its row', async (t) => {
    const result = validateAreaLinks(
      ...csvRows(
        '22,WK036393,2023,WK0363TB,1', // year
        '2023,WK036393,2022,WK0363TB,1', // backwards
        '2022,WK36393,2023,WK0363TB,1', // code
        '2022,WK036393,2023,BU0363TB01,1', // level
        '2022,WK036394,2023,WK0363TB,0', // weight 0
        '2022,WK036395,2023,WK0363TB,1.5', // weight above 1
        '2022,WK036396,2023,WK0363TB,1',
        '2022,WK036396,2023,WK0363TB,1', // duplicate
        '2022,WK036397,2023,WK0363TB,0.5',
        '2022,WK036397,2024,WK0363TC,0.5', // two divisions
        '2022,wk036398,2023,WK0363TB,1', // lower case
      ),
    )
    t.notOk(result.ok)
    if (result.ok) return
    t.same(
      result.errors.map((error) => [error.row, error.column]),
      [
        [2, 'from_year'],
        [3, 'to_year'],
        [4, 'from_code'],
        [5, 'to_code'],
        [6, 'weight'],
        [7, 'weight'],
        [9, 'to_code'],
        [12, 'from_code'],
        [10, 'to_year'],
      ],
    )
    t.match(result.errors[1].message, /to_year \(2022\) must come after from_year \(2023\)/)
    t.match(result.errors[3].message, /is a neighbourhood and WK036393 a district/)
    t.match(result.errors[6].message, /already given in row 8/)
    t.match(result.errors[8].message, /land in several divisions \(2023, 2024\)/)
    t.equal(result.total, 9)
  })

  t.test('when the header lacks a column, then it is said once, of row 1', async (t) => {
    const partial = ['from_year', 'from_code', 'to_code', 'weight']
    const record = { from_year: '2022', from_code: 'GM0457', to_code: 'GM0363', weight: '1' }
    t.same(validateAreaLinks([record], [2], partial), {
      ok: false,
      total: 1,
      errors: [
        {
          row: 1,
          column: null,
          message:
            'the header lacks to_year (needed: from_year, from_code, to_year, to_code, weight)',
        },
      ],
    })
  })

  t.test('when JSON elements are given, then they are numbered from 1', async (t) => {
    const result = validateAreaLinks(
      [
        { from_year: 2022, from_code: 'GM0457', to_year: 2023, to_code: 'GM0363', weight: 1 },
        { from_year: '2022', from_code: 'GM0998', to_year: 2023, to_code: 'GM0363', weight: 'x' },
      ],
      [1, 2],
    )
    t.notOk(result.ok)
    if (!result.ok)
      t.same(
        result.errors.map((error) => [error.row, error.column]),
        [[2, 'weight']],
      )
  })

  t.test('when nothing is given, then that is the error', async (t) => {
    t.match(validateAreaLinks([], [], header), {
      ok: false,
      errors: [{ row: 2, message: /no rows/ }],
    })
    t.match(validateAreaLinks([], []), { ok: false, errors: [{ row: 1, message: /no rows/ }] })
  })
})
