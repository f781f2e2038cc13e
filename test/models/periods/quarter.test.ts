import t from 'tap'
import fc from 'fast-check'
import { TZDate } from '@date-fns/tz'
import {
  canonicalQuarter,
  formatQuarter,
  parseQuarter,
  quarterOfDate,
  quarterStart,
  quartersBetween,
  shiftPeriod,
  shiftQuarter,
  type Quarter,
} from '../../../models/periods/quarter.js'

/**
 * Calendar quarters (models/periods/quarter.ts). Expected values are hand-worked from the
 * calendar: a quarter is three months, Q1 = January–March, so year y quarter q sits at
 * 4·y + (q − 1) on one integer axis. Accepted spellings are those of the module's doc comment
 * (DESIGN.md §1): `2024Q3`, `2024-Q3`, `2024 Q3`, CBS StatLine's `2024KW03` / `2024KW3`,
 * case-insensitive. The properties keep to four-digit years from 1900 (the parser's range).
 */
const propertyRuns = { seed: 20240703, numRuns: 300 }

/** Position of a quarter on the integer axis 4·year + (quarter − 1), the hand-worked reference. */
const axis = (value: Quarter) => value.year * 4 + (value.quarter - 1)

const quarterArbitrary = fc.record({
  year: fc.integer({ min: 1900, max: 9000 }),
  quarter: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
})
/** Shifts that keep a quarter from quarterArbitrary inside four-digit years ≥ 1900. */
const shiftArbitrary = fc.integer({ min: -1000, max: 1000 })
const nearArbitrary = fc.record({
  year: fc.integer({ min: 2200, max: 8700 }),
  quarter: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
})

t.test('parseQuarter', async (t) => {
  t.test('when a canonical spelling is given, then year and quarter are read', async (t) => {
    t.same(parseQuarter('2024Q3'), { year: 2024, quarter: 3 })
    t.same(parseQuarter('1900Q1'), { year: 1900, quarter: 1 })
  })

  t.test('when another documented spelling is given, then it reads the same quarter', async (t) => {
    // the doc comment's list of accepted spellings, in upper and lower case, with stray spaces
    for (const spelling of [
      '2024-Q3',
      '2024 Q3',
      '2024q3',
      '2024-q3',
      '2024KW03',
      '2024KW3',
      '2024kw03',
      '2024Kw3',
      '  2024Q3 ',
      '2024- Q3',
      '2024 KW03',
    ]) {
      t.same(parseQuarter(spelling), { year: 2024, quarter: 3 }, spelling)
    }
  })

  t.test('when the quarter is outside 1–4, then it is not a quarter', async (t) => {
    for (const text of ['2024Q5', '2024Q0', '2024KW00', '2024KW0', '2024KW05', '2024Q03']) {
      t.equal(parseQuarter(text), undefined, text)
    }
  })

  t.test(
    'when the text is garbage or not a four-digit year, then it is not a quarter',
    async (t) => {
      for (const text of [
        '',
        'Q3',
        '2024',
        '24Q3',
        '02024Q3',
        '2024Q3x',
        '2024-07-01',
        '2024 Q 3',
        '2024--Q3',
        // a dash before KW is not among the documented spellings
        '2024-KW03',
        'kwartaal 3',
      ]) {
        t.equal(parseQuarter(text), undefined, JSON.stringify(text))
      }
    },
  )

  t.test('when the year is before 1900, then it is not a quarter', async (t) => {
    t.equal(parseQuarter('1899Q4'), undefined)
    t.same(parseQuarter('1900Q1'), { year: 1900, quarter: 1 })
  })
})

t.test('formatQuarter', async (t) => {
  t.test('when a quarter is formatted, then it is the canonical 2024Q3', async (t) => {
    t.equal(formatQuarter({ year: 2024, quarter: 3 }), '2024Q3')
    t.equal(formatQuarter({ year: 1999, quarter: 1 }), '1999Q1')
  })

  t.test('when formatted and parsed again, then the quarter is unchanged', async () => {
    fc.assert(
      fc.property(quarterArbitrary, (value) => {
        const again = parseQuarter(formatQuarter(value))
        return again !== undefined && again.year === value.year && again.quarter === value.quarter
      }),
      propertyRuns,
    )
  })
})

t.test('canonicalQuarter', async (t) => {
  t.test('when any accepted spelling is given, then the canonical one comes back', async (t) => {
    for (const spelling of ['2024Q3', '2024-Q3', '2024 Q3', '2024KW03', '2024KW3', '2024kw3']) {
      t.equal(canonicalQuarter(spelling), '2024Q3', spelling)
    }
  })

  t.test('when the text is not a quarter, then undefined comes back', async (t) => {
    for (const text of ['2024Q5', '2024KW00', 'garbage', '']) {
      t.equal(canonicalQuarter(text), undefined, JSON.stringify(text))
    }
  })
})

t.test('quarterStart', async (t) => {
  t.test(
    'when a quarter is given, then its first day is the first of its first month',
    async (t) => {
      // Q1 → 1 January, Q2 → 1 April, Q3 → 1 July, Q4 → 1 October (local calendar dates)
      for (const [quarter, month] of [
        [1, 0],
        [2, 3],
        [3, 6],
        [4, 9],
      ] as const) {
        const start = quarterStart({ year: 2024, quarter })
        t.same([start.getFullYear(), start.getMonth(), start.getDate()], [2024, month, 1])
        t.equal([start.getHours(), start.getMinutes()].join(':'), '0:0')
      }
    },
  )
})

t.test('quarterOfDate', async (t) => {
  t.test('when a local date is given, then its calendar quarter comes back', async (t) => {
    t.same(quarterOfDate(new Date(2024, 0, 1)), { year: 2024, quarter: 1 })
    t.same(quarterOfDate(new Date(2024, 2, 31, 23, 59)), { year: 2024, quarter: 1 })
    t.same(quarterOfDate(new Date(2024, 3, 1)), { year: 2024, quarter: 2 })
    t.same(quarterOfDate(new Date(2024, 8, 30)), { year: 2024, quarter: 3 })
    t.same(quarterOfDate(new Date(2024, 11, 31, 23, 59)), { year: 2024, quarter: 4 })
  })

  t.test(
    'when the date is an Amsterdam date near a quarter boundary, then the Amsterdam calendar decides',
    async (t) => {
      // the import use case passes new TZDate(now, 'Europe/Amsterdam'): in summer Amsterdam is
      // UTC+2, so 2024-06-30T22:30Z is 1 July 00:30 there (Q3) and 21:30Z still 30 June (Q2)
      const amsterdam = (utc: number) => new TZDate(utc, 'Europe/Amsterdam')
      t.same(quarterOfDate(amsterdam(Date.UTC(2024, 5, 30, 22, 30))), { year: 2024, quarter: 3 })
      t.same(quarterOfDate(amsterdam(Date.UTC(2024, 5, 30, 21, 30))), { year: 2024, quarter: 2 })
      // in winter UTC+1: 2024-12-31T23:30Z is 1 January 2025 00:30 there
      t.same(quarterOfDate(amsterdam(Date.UTC(2024, 11, 31, 23, 30))), { year: 2025, quarter: 1 })
      t.same(quarterOfDate(amsterdam(Date.UTC(2024, 11, 31, 22, 30))), { year: 2024, quarter: 4 })
    },
  )

  t.test('when a quarter start is read back, then it is the same quarter', async () => {
    fc.assert(
      fc.property(quarterArbitrary, (value) => {
        const back = quarterOfDate(quarterStart(value))
        return back.year === value.year && back.quarter === value.quarter
      }),
      propertyRuns,
    )
  })
})

t.test('shiftQuarter', async (t) => {
  t.test('when shifted within a year, then the quarter number moves', async (t) => {
    t.same(shiftQuarter({ year: 2024, quarter: 1 }, 2), { year: 2024, quarter: 3 })
    t.same(shiftQuarter({ year: 2024, quarter: 3 }, 0), { year: 2024, quarter: 3 })
  })

  t.test('when shifted forward across a year, then the year rolls over', async (t) => {
    // 2024Q4 + 1 = 2025Q1; 2024Q3 + 6 = axis 8098 + 6 = 8104 → 2026Q1
    t.same(shiftQuarter({ year: 2024, quarter: 4 }, 1), { year: 2025, quarter: 1 })
    t.same(shiftQuarter({ year: 2024, quarter: 3 }, 6), { year: 2026, quarter: 1 })
    t.same(shiftQuarter({ year: 2024, quarter: 2 }, 40), { year: 2034, quarter: 2 })
  })

  t.test('when shifted backward across a year, then the year rolls back', async (t) => {
    // 2024Q1 − 1 = 2023Q4; 2024Q2 − 4 = 2023Q2 (the year before); 2024Q1 − 9 = 2021Q4
    t.same(shiftQuarter({ year: 2024, quarter: 1 }, -1), { year: 2023, quarter: 4 })
    t.same(shiftQuarter({ year: 2024, quarter: 2 }, -4), { year: 2023, quarter: 2 })
    t.same(shiftQuarter({ year: 2024, quarter: 1 }, -9), { year: 2021, quarter: 4 })
  })

  t.test('when the argument is shifted, then it is not mutated', async (t) => {
    const value = Object.freeze({ year: 2024, quarter: 4 as const })
    t.same(shiftQuarter(value, 3), { year: 2025, quarter: 3 })
    t.same(value, { year: 2024, quarter: 4 })
  })

  t.test('when shifted, then it moves as far on the integer axis', async () => {
    fc.assert(
      fc.property(quarterArbitrary, shiftArbitrary, (value, count) => {
        return axis(shiftQuarter(value, count)) === axis(value) + count
      }),
      propertyRuns,
    )
  })

  t.test('when shifted twice, then it equals one shift by the sum', async () => {
    fc.assert(
      fc.property(nearArbitrary, shiftArbitrary, shiftArbitrary, (value, first, second) => {
        const twice = shiftQuarter(shiftQuarter(value, first), second)
        const once = shiftQuarter(value, first + second)
        return twice.year === once.year && twice.quarter === once.quarter
      }),
      propertyRuns,
    )
  })
})

t.test('quartersBetween', async (t) => {
  t.test(
    'when two quarters are given, then the count of quarters between comes back',
    async (t) => {
      // 2023Q2 → 2024Q3: axis 8093 → 8098 = 5
      t.equal(quartersBetween({ year: 2023, quarter: 2 }, { year: 2024, quarter: 3 }), 5)
      t.equal(quartersBetween({ year: 2024, quarter: 3 }, { year: 2024, quarter: 3 }), 0)
      t.equal(quartersBetween({ year: 2024, quarter: 4 }, { year: 2025, quarter: 1 }), 1)
      t.equal(quartersBetween({ year: 2013, quarter: 1 }, { year: 2024, quarter: 4 }), 47)
    },
  )

  t.test('when the later quarter comes first, then the count is negative', async (t) => {
    t.equal(quartersBetween({ year: 2024, quarter: 3 }, { year: 2023, quarter: 2 }), -5)
  })

  t.test('when a quarter is shifted by n, then n quarters lie between them', async () => {
    fc.assert(
      fc.property(quarterArbitrary, shiftArbitrary, (value, count) => {
        return quartersBetween(value, shiftQuarter(value, count)) === count
      }),
      propertyRuns,
    )
  })

  t.test('when the two quarters swap, then the count changes sign', async () => {
    fc.assert(
      fc.property(quarterArbitrary, quarterArbitrary, (first, second) => {
        return quartersBetween(first, second) === -quartersBetween(second, first)
      }),
      propertyRuns,
    )
  })
})

t.test('canonical strings', async (t) => {
  t.test(
    'when canonical strings are sorted as text, then they are in chronological order',
    async () => {
      fc.assert(
        fc.property(quarterArbitrary, quarterArbitrary, (first, second) => {
          const [left, right] = [formatQuarter(first), formatQuarter(second)]
          const textOrder = left < right ? -1 : left > right ? 1 : 0
          return textOrder === Math.sign(quartersBetween(second, first))
        }),
        propertyRuns,
      )
    },
  )
})

t.test('shiftPeriod', async (t) => {
  t.test('when a canonical period is shifted, then the canonical result comes back', async (t) => {
    t.equal(shiftPeriod('2024Q3', -4), '2023Q3')
    t.equal(shiftPeriod('2024Q4', 1), '2025Q1')
    t.equal(shiftPeriod('2024Q1', -1), '2023Q4')
    t.equal(shiftPeriod('2024Q2', 0), '2024Q2')
  })

  t.test(
    'when another accepted spelling is shifted, then it is read and the result is canonical',
    async (t) => {
      // the doc says "throws on a non-canonical one"; it parses every accepted spelling instead
      t.equal(shiftPeriod('2024KW03', 1), '2024Q4')
      t.equal(shiftPeriod('2024-Q1', -1), '2023Q4')
    },
  )

  t.test('when the period is not a quarter, then it throws naming the fix', async (t) => {
    for (const text of ['2024Q5', '2024KW00', 'garbage']) {
      t.throws(() => shiftPeriod(text, 1), {
        name: 'TypeError',
        message: `shiftPeriod requires a quarter like 2024Q3, got "${text}"`,
      })
    }
  })

  t.test('when shifted by n, then shiftQuarter on the parsed period agrees', async () => {
    fc.assert(
      fc.property(quarterArbitrary, shiftArbitrary, (value, count) => {
        return (
          shiftPeriod(formatQuarter(value), count) === formatQuarter(shiftQuarter(value, count))
        )
      }),
      propertyRuns,
    )
  })

  t.test('when the count is not a whole number, then it throws', async (t) => {
    t.throws(() => shiftPeriod('2024Q3', Number.NaN), RangeError)
    t.throws(() => shiftPeriod('2024Q3', 1.5), RangeError)
  })
})
