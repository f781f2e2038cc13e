import t from 'tap'
import {
  alertKinds,
  defaultParams,
  isAlertKind,
  resolveRuleParams,
  type AlertKind,
} from '../../../monitors/rules/rule-params.js'

/** Expected defaults and ranges: the doc comment of monitors/rules/rule-params.ts (DESIGN.md §3). */

t.test('alertKinds and isAlertKind', async (t) => {
  t.test('when the kinds are listed, then they are the four documented ones', async (t) => {
    t.same([...alertKinds], ['risk_percentile', 'yoy_rise', 'aberration', 'trend'])
  })

  t.test('when a name is checked, then only a listed kind passes', async (t) => {
    for (const kind of alertKinds) t.equal(isAlertKind(kind), true, kind)
    for (const name of ['', 'YOY_RISE', 'yoy-rise', 'spike', 'toString']) {
      t.equal(isAlertKind(name), false, name)
    }
  })
})

t.test('defaultParams', async (t) => {
  t.test('when read, then every kind has the documented defaults', async (t) => {
    const common = { min_count: 5, consecutive: 1, clear_quarters: 2 }
    t.same(defaultParams, {
      risk_percentile: { ...common, p: 10, horizon_quarters: 0 },
      yoy_rise: { ...common, q: 0.05, min_relative_rise: 0.1 },
      aberration: {
        ...common,
        alpha: 0.05,
        b: 5,
        w: 1,
        weights_threshold: 2.58,
        limit54: [5, 4],
      },
      trend: { ...common, alpha: 0.05 },
    })
  })
})

t.test('resolveRuleParams', async (t) => {
  t.test('when no parameter is given, then the defaults come back', async (t) => {
    for (const kind of alertKinds) t.same(resolveRuleParams(kind), defaultParams[kind], kind)
  })

  t.test('when some parameters are given, then they replace only those defaults', async (t) => {
    const given = Object.freeze({ q: 0.2, consecutive: 3 })
    t.same(resolveRuleParams('yoy_rise', given), {
      min_count: 5,
      consecutive: 3,
      clear_quarters: 2,
      q: 0.2,
      min_relative_rise: 0.1,
    })
    t.same(given, { q: 0.2, consecutive: 3 }, 'the given object is unchanged')
  })

  t.test('when a resolved object is changed, then the defaults are not', async (t) => {
    const resolved = resolveRuleParams('trend')
    resolved.alpha = 0.5
    t.equal(defaultParams.trend.alpha, 0.05)
  })

  t.test('when a resolved limit54 is changed, then the default limit54 is not', async (t) => {
    const resolved = resolveRuleParams('aberration')
    t.not(resolved.limit54, defaultParams.aberration.limit54)
  })

  t.test(
    'when a parameter does not belong to the kind, then it throws listing the known ones',
    async (t) => {
      t.throws(() => resolveRuleParams('trend', { q: 0.1 }), {
        name: 'RangeError',
        message:
          'resolveRuleParams: trend has no parameter q; known are min_count, consecutive, clear_quarters, alpha',
      })
      t.throws(
        () => resolveRuleParams('risk_percentile', { alpha: 0.1 }),
        /risk_percentile has no parameter alpha/,
      )
    },
  )

  // [kind, parameter, accepted at the boundary, rejected just outside, the rule in the message]
  const boundaries: [AlertKind, string, unknown[], unknown[], string][] = [
    [
      'trend',
      'min_count',
      [0, 1_000_000],
      [-1, 1_000_001, 2.5, '5', null],
      'a whole number from 0 to 1000000',
    ],
    ['trend', 'consecutive', [1, 8], [0, 9, 1.5], 'a whole number from 1 to 8'],
    ['trend', 'clear_quarters', [1, 8], [0, 9], 'a whole number from 1 to 8'],
    ['trend', 'alpha', [1e-9, 0.999], [0, 1, Number.NaN, '0.05'], 'a number above 0 and below 1'],
    ['yoy_rise', 'q', [0.001, 0.999], [0, 1, 2], 'a number above 0 and below 1'],
    [
      'yoy_rise',
      'min_relative_rise',
      [0, 10],
      [-0.01, Number.POSITIVE_INFINITY],
      'a number of at least 0',
    ],
    ['risk_percentile', 'p', [0.5, 99.5], [0, 100], 'a number above 0 and below 100'],
    ['risk_percentile', 'horizon_quarters', [0, 40], [-1, 41, 4.5], 'a whole number from 0 to 40'],
    ['aberration', 'alpha', [0.01], [0, 1], 'a number above 0 and below 1'],
    ['aberration', 'b', [1, 10], [0, 11], 'a whole number from 1 to 10'],
    ['aberration', 'w', [0, 3], [-1, 4], 'a whole number from 0 to 3'],
    ['aberration', 'weights_threshold', [0, 2.58], [-1], 'a number of at least 0'],
    [
      'aberration',
      'limit54',
      [
        [0, 1],
        [5, 4],
      ],
      [[5], [5, 0], [-1, 4], [5, 4.5], [5, 4, 3], '5,4'],
      'a pair [cases ≥ 0, quarters ≥ 1]',
    ],
  ]
  for (const [kind, name, accepted, rejected, rule] of boundaries) {
    t.test(
      `when ${kind} ${name} is at or past its bounds, then only the inside passes`,
      async (t) => {
        for (const value of accepted) {
          const resolved = resolveRuleParams(kind, { [name]: value }) as unknown as Record<
            string,
            unknown
          >
          t.same(resolved[name], value, `${name} ${JSON.stringify(value)} accepted`)
        }
        for (const value of rejected) {
          t.throws(
            () => resolveRuleParams(kind, { [name]: value }),
            {
              name: 'RangeError',
              message: `resolveRuleParams: ${kind} parameter ${name} must be ${rule}, got ${JSON.stringify(value)}`,
            },
            `${name} ${JSON.stringify(value)} rejected`,
          )
        }
      },
    )
  }
})
