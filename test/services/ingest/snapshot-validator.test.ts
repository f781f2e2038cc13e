import t from 'tap'
import {
  areaNameMaxLength,
  areaNameProblem,
  SnapshotValidator,
  snapshotColumns,
} from '../../../services/ingest/snapshot-validator.js'
import { columnMapping, kwbProfile } from '../../../services/ingest/column-profiles.js'
import { valueColumns } from '../../../models/vocabulary/indicators.js'

/** A validator as an upload in 2024Q4 with an admin key sees it. */
function validator(scope?: string): SnapshotValidator {
  const checker = new SnapshotValidator({ currentQuarter: { year: 2024, quarter: 4 }, scope })
  checker.header([...snapshotColumns])
  return checker
}

const goodRow = {
  area_code: 'BU05180101',
  area_name: 'Centrum',
  period: '2024Q3',
  youth_population: '100',
  early_school_leavers: '1',
  halt_registrations: '2',
  parental_debt: '3',
  drug_offence_suspects: '4',
}

t.test('SnapshotValidator.header', async (t) => {
  t.test('when every column is present in any case, then none is rejected', async (t) => {
    const { columns, errors } = new SnapshotValidator({
      currentQuarter: { year: 2024, quarter: 4 },
    }).header(snapshotColumns.map((column) => column.toUpperCase()))
    t.same(errors, [])
    t.same(columns, [...snapshotColumns])
  })

  t.test('when a column is unknown or missing, then row 1 names it', async (t) => {
    const { errors } = new SnapshotValidator({ currentQuarter: { year: 2024, quarter: 4 } }).header(
      ['area_code', 'period', 'bsn'],
    )
    t.match(errors, [{ row: 1, column: 'bsn', message: /unknown column/ }])
    t.ok(errors.some((error) => error.column === 'youth_population'))
  })
})

t.test('SnapshotValidator.row', async (t) => {
  t.test('when a row follows every rule, then it comes back in canonical form', async (t) => {
    const { row, errors } = validator().row(2, goodRow)
    t.same(errors, [])
    t.match(row, { row: 2, area_code: 'BU05180101', area_name: 'Centrum', youth_population: 100 })
  })

  t.test('when the row lies outside the key scope, then it is reported apart', async (t) => {
    const { outOfScope } = validator('GM0363').row(2, goodRow)
    t.match(outOfScope, { row: 2, column: 'area_code' })
  })

  t.test('when area_name is empty or only spaces, then it is stored as NULL', async (t) => {
    for (const name of ['', '   ', null, undefined]) {
      const { row, errors } = validator().row(2, { ...goodRow, area_name: name })
      t.same(errors, [])
      t.equal(row?.area_name, null)
    }
  })

  // Issue 14, finding 7: a 10 MB name was accepted, NUL gave a 500, bidi overrides were stored.
  t.test(
    `when area_name has exactly ${areaNameMaxLength} characters, accents or characters outside the BMP included, then it is accepted`,
    async (t) => {
      for (const name of [
        'a'.repeat(areaNameMaxLength),
        'é'.repeat(areaNameMaxLength),
        // 200 characters, 400 UTF-16 units: the limit counts characters
        '\u{1F3E0}'.repeat(areaNameMaxLength),
        "'s-Gravenhage",
        'Café "De Zon", Noord; één',
        'مركز المدينة',
      ]) {
        const { row, errors } = validator().row(2, { ...goodRow, area_name: name })
        t.same(errors, [], name.slice(0, 20))
        t.equal(row?.area_name, name)
      }
    },
  )

  const badNames: Array<[string, string, RegExp]> = [
    [
      `${areaNameMaxLength + 1} characters`,
      'a'.repeat(areaNameMaxLength + 1),
      /at most 200 characters, got 201/,
    ],
    ['10 MB', 'x'.repeat(10 * 1024 * 1024), /at most 200 characters, got 10485760/],
    ['a NUL', 'Cen\u0000trum', /control character \(U\+0000 at character 4\)/],
    ['a TAB', 'Cen\ttrum', /control character \(U\+0009/],
    ['a line feed', 'Cen\ntrum', /control character \(U\+000A/],
    ['a carriage return', 'Centrum\r', /control character \(U\+000D/],
    ['DEL', 'Cen\u007Ftrum', /control character \(U\+007F/],
    ['a C1 control (NEL)', 'Cen\u0085trum', /control character \(U\+0085/],
    ['a right-to-left override', '\u202Emurtnec', /bidirectional formatting character \(U\+202E/],
    ['a left-to-right embedding', '\u202ACentrum', /bidirectional .*U\+202A/],
    ['a pop directional formatting', 'Centrum\u202C', /bidirectional .*U\+202C/],
    ['a first-strong isolate', '\u2068Centrum\u2069', /bidirectional .*U\+2068/],
    ['a pop directional isolate', 'Centrum\u2069', /bidirectional .*U\+2069/],
    ['a left-to-right mark', 'Centrum\u200E', /bidirectional .*U\+200E/],
    ['a right-to-left mark', 'Centrum\u200F', /bidirectional .*U\+200F/],
    ['an Arabic letter mark', 'Centrum\u061C', /bidirectional .*U\+061C/],
  ]
  for (const [what, name, message] of badNames) {
    t.test(
      `when area_name contains ${what}, then the row is rejected at column area_name`,
      async (t) => {
        const { row, errors } = validator().row(7, { ...goodRow, area_name: name })
        t.equal(row, undefined)
        t.equal(errors.length, 1)
        t.match(errors[0], { row: 7, column: 'area_name', message })
        t.match(areaNameProblem(name), message, 'the exported rule says the same')
      },
    )
  }

  t.test(
    'when the bad character is after one outside the BMP, then the position counts characters',
    async (t) => {
      t.match(areaNameProblem('\u{1F3E0}\u0000'), /at character 2\)/)
    },
  )
})

t.test('SnapshotValidator: how real CBS tables write numbers and periods', async (t) => {
  const check = (overrides: Record<string, unknown>) =>
    validator().row(2, { ...goodRow, ...overrides }).errors

  t.test(
    'when a count has a thousands separator, then the message names it, row and column',
    async (t) => {
      t.same(check({ youth_population: '1.640' }), [
        {
          row: 2,
          column: 'youth_population',
          message:
            'youth_population must be a whole number without thousands separators, got "1.640" with a thousands dot ("."): write 1640',
        },
      ])
      t.match(check({ youth_population: '1,640' }), [
        { row: 2, column: 'youth_population', message: /a thousands comma \(","\): write 1640$/ },
      ])
      t.match(check({ youth_population: '1 640 000' }), [
        { message: /a space as thousands separator: write 1640000$/ },
      ])
      t.match(check({ youth_population: '2\u00A0500' }), [
        { message: /a no-break space as thousands separator: write 2500$/ },
      ])
      // Dutch one thousand: stored as 1 before, silently wrong
      t.match(check({ youth_population: '1.000' }), [{ message: /thousands dot.*write 1000$/ }])
    },
  )

  t.test('when a count is a decimal, then it is not called a thousands separator', async (t) => {
    for (const value of ['1.5', '12,25', '1.6400']) {
      const errors = check({ youth_population: value })
      t.equal(errors.length, 1, value)
      t.notMatch(errors[0].message, /thousands/, value)
      t.match(errors[0].message, /must be a whole number, got/, value)
    }
    t.same(check({ youth_population: '1640.0' }), [], 'a whole number with .0 stays accepted')
  })

  t.test(
    'when a period is a StatLine year or month, then the message says what it is',
    async (t) => {
      t.same(check({ period: '2024JJ00' }), [
        {
          row: 2,
          column: 'period',
          message:
            '"2024JJ00" is a year (StatLine\'s JJ00), not a quarter: upload one row per quarter (2024KW01 … 2024KW04)',
        },
      ])
      t.match(check({ period: '2024MM07' }), [
        {
          column: 'period',
          message: /"2024MM07" is a month \(StatLine's MM\), not a quarter.*2024KW03/,
        },
      ])
      t.match(check({ period: '2024mm12' }), [{ message: /is a month.*2024KW04/ }])
      t.match(check({ period: '2024KW05' }), [{ message: /"2024KW05" is not a quarter \(use/ }])
    },
  )

  t.test('when a period is a StatLine quarter, then it is accepted', async (t) => {
    const result = validator().row(2, { ...goodRow, period: ' 2024KW03 ' })
    t.same(result.errors, [])
    t.equal(result.row?.period, '2024Q3')
  })
})

t.test('SnapshotValidator.header with a column mapping', async (t) => {
  const kwb = () =>
    new SnapshotValidator({
      currentQuarter: { year: 2024, quarter: 4 },
      columns: columnMapping('kwb'),
    })

  t.test(
    'when KWB headers come, then they map and the others are ignored, not refused',
    async (t) => {
      const checker = kwb()
      const { columns, errors } = checker.header([
        'Codering_3',
        'AantalInwoners_5',
        'Perioden',
        ...kwbProfile.slice(3).map((entry) => entry.source.toUpperCase()),
      ])
      t.same(errors, [])
      t.same(columns, [
        'area_code',
        undefined,
        'period',
        ...kwbProfile.slice(3).map((e) => e.target),
      ])
      t.same(checker.ignoredColumns, ['AantalInwoners_5'])
    },
  )

  t.test(
    'when a mapped column is missing, then row 1 names it and where it is read from',
    async (t) => {
      const { errors } = kwb().header(['Codering_3', 'AantalInwoners_5'])
      t.same(
        errors.map((error) => [error.row, error.column]),
        [[1, 'period'], ...valueColumns.map((column) => [1, column])],
      )
      t.match(
        errors[0].message,
        'required column "period" is missing: the kwb profile reads it from a column "Perioden", which the upload does not have',
      )
    },
  )

  t.test(
    'when a header comes both mapped and by its own name, then it appears twice',
    async (t) => {
      const { errors } = kwb().header(['Codering_3', 'area_code'])
      t.match(errors, [
        {
          row: 1,
          column: 'area_code',
          message: 'column "area_code" appears more than once (as "Codering_3" and as "area_code")',
        },
      ])
    },
  )

  t.test(
    'when a custom mapping leaves a required column out, then the message says so',
    async (t) => {
      const checker = new SnapshotValidator({
        currentQuarter: { year: 2024, quarter: 4 },
        columns: columnMapping('{"Code":"area_code"}'),
      })
      const { errors } = checker.header(['Code', 'Kwartaal'])
      t.match(errors[0], {
        column: 'period',
        message:
          'required column "period" is missing: no header is named so and the column mapping maps none to it',
      })
      t.same(checker.ignoredColumns, ['Kwartaal'])
    },
  )
})
