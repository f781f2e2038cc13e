import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, createKey, engines, runModelToEnd } from '../../helper.js'
import { loadDemoData } from '../../../services/demo/load-demo.js'
import {
  DisclosureAdversary,
  DisclosureSolver,
  RankStepConstraint,
  RealSumConstraint,
  SumRelationConstraint,
  TupleConstraint,
  describeReport,
  readTruth,
  reviseForAttack,
  type AdversaryReport,
} from '../../support/disclosure-adversary.js'
import { generateSmallCounts } from '../../support/small-counts-fixture.js'

type TapTest = Parameters<Parameters<typeof t.test>[0]>[0]

/**
 * Issue 14, "Then attack it": an automated adversary reads, as a viewer scoped to one
 * municipality, every route a viewer can read (snapshots now and `as_of` before a revision,
 * area trends of neighbourhoods, districts and the municipality, short trend windows, the
 * municipality's trend list at every quarter, risk at every quarter and horizon with the run's
 * coefficients, intervention effects of both methods, alerts, model runs) and solves for every
 * suppressed cell (test/support/disclosure-adversary.ts). DESIGN.md §5: no quantity shown to a
 * viewer may, together with the others, determine a suppressed count. The test asserts that it
 * recovers none, on the demo data and on a generated municipality with many small counts, and
 * prints how many it recovered and which reader made the decisive cut.
 */

t.test('the solver', async (t) => {
  t.test(
    'when three cells have a known sum and two are shown, then the third is recovered',
    async (t) => {
      const solver = new DisclosureSolver()
      const [a, b, c] = ['a', 'b', 'c'].map((key) => solver.variable(key))
      solver.within('a', 0, 9, 'test', 'a suppressed')
      solver.within('b', 7, 7, 'test', 'b shown')
      solver.within('c', 5, 5, 'test', 'c shown')
      solver.add(
        new SumRelationConstraint(
          'total',
          'a + b + c = 20',
          [{ vars: [a, b, c] }],
          ([sum]) => sum === 20,
        ),
      )
      const result = solver.solve({
        truth: new Map([
          ['a', 8],
          ['b', 7],
          ['c', 5],
        ]),
      })
      t.same(result.domains.get('a'), [8])
      t.equal(result.decidedBy.get('a'), 'total', 'credited to the sum')
      t.same(result.inconsistencies, [])
    },
  )

  t.test('when a rate is exact, then a rounded count and population give both back', async (t) => {
    const solver = new DisclosureSolver()
    const count = solver.variable('count')
    const population = solver.variable('population')
    solver.within('count', 10, 12, 'test', '10 shown') // 12 rounds to 10
    solver.within('population', 203, 207, 'test', '205 shown')
    solver.add(
      new TupleConstraint(
        'rate',
        'rate = 12/206',
        [count, population],
        ([c, n]) => Math.abs(c / n - 12 / 206) < 1e-12,
      ),
    )
    const result = solver.solve()
    t.same(result.domains.get('count'), [12])
    t.same(result.domains.get('population'), [206])
  })

  t.test(
    'when Σ count/population over quarters is known, then the counts are found meet-in-the-middle',
    async (t) => {
      const solver = new DisclosureSolver()
      const populations = [211, 230, 197, 245, 260, 188]
      const counts = [3, 0, 7, 9, 2, 5]
      const terms = populations.map((population, quarter) => {
        const variable = solver.variable(`c${quarter}`)
        solver.within(`c${quarter}`, 0, 9, 'test', 'suppressed')
        return { vars: [variable], value: ([c]: readonly number[]) => c / population }
      })
      const target = counts.reduce((sum, count, quarter) => sum + count / populations[quarter], 0)
      solver.add(new RealSumConstraint('effects', 'Σ c/n', terms, target, 1e-12))
      const result = solver.solve()
      t.same(
        counts.map((_, quarter) => result.domains.get(`c${quarter}`)),
        counts.map((count) => [count]),
      )
    },
  )

  t.test(
    'when a Mann-Kendall step ranks a rate between two known ones, then it is recovered',
    async (t) => {
      const solver = new DisclosureSolver()
      const vars = ['c0', 'c1', 'c2'].map((key) => solver.variable(key))
      solver.within('c0', 3, 3, 'test', 'shown')
      solver.within('c1', 5, 5, 'test', 'shown')
      solver.within('c2', 0, 9, 'test', 'suppressed')
      const items = vars.map((variable) => ({
        vars: [variable],
        value: ([c]: readonly number[]) => c / 100,
      }))
      // S unchanged (one earlier rate below, one above) and var(S) grown as for two present
      // earlier values without a tie
      solver.add(
        new RankStepConstraint('order', 'ΔS = 0', items, 0, RankStepConstraint.varianceStep(2, 0)),
      )
      const result = solver.solve({
        truth: new Map([
          ['c0', 3],
          ['c1', 5],
          ['c2', 4],
        ]),
      })
      t.same(result.domains.get('c2'), [4])
      t.same(result.inconsistencies, [])
    },
  )

  t.test(
    'when a constraint contradicts the true values, then it is reported and not used',
    async (t) => {
      const solver = new DisclosureSolver()
      const a = solver.variable('a')
      solver.within('a', 0, 9, 'test', 'a suppressed')
      solver.add(new TupleConstraint('wrong', 'a = 3', [a], ([value]) => value === 3))
      const result = solver.solve({ truth: new Map([['a', 4]]) })
      t.equal(result.inconsistencies.length, 1)
      t.match(result.inconsistencies[0], /\[wrong\] a = 3/)
      t.equal(result.domains.get('a')?.length, 10, 'nothing learnt from it')
    },
  )
})

/**
 * The attack: read everything, re-deliver one quarter of two neighbourhoods (a shown count falls
 * below minCell, a suppressed one changes and stays suppressed), publish new runs as an automatic
 * recompute would, evaluate the alerts, read everything again (the old state through `as_of`),
 * solve, and compare with the stored values read by an admin.
 */
async function attack(
  app: FastifyInstance,
  admin: { authorization: string },
  municipality: string,
): Promise<{ report: AdversaryReport; revision: string[] }> {
  const viewer = await createKey(app, admin, 'viewer', municipality)
  const adversary = new DisclosureAdversary(app, viewer.headers, {
    municipality,
    thresholds: { minCell: app.config.minCell, roundTo: app.config.roundTo },
  })
  await adversary.read('before')
  const { asOf, changed } = await reviseForAttack(app, admin, municipality, app.config.minCell)
  for (const horizon of [0, 4]) await runModelToEnd(app, admin, { horizon_quarters: horizon })
  await app.alertEvaluator.evaluateNow()
  await adversary.read('after', { asOf })
  const truth = await readTruth(app, admin, municipality, asOf)
  const report = adversary.solve(truth, { timeBudgetMs: 45_000 })
  return { report, revision: changed }
}

function assertNothingRecovered(t: TapTest, report: AdversaryReport) {
  for (const line of describeReport(report)) t.comment(line)
  t.same(
    report.inconsistencies.slice(0, 10),
    [],
    `every observation holds for the stored values (${report.inconsistencies.length} do not: a reader misreads its route)`,
  )
  t.same(report.wrong.slice(0, 10), [], 'every recovered value is the stored one')
  t.ok(report.suppressed > 0, 'the viewer sees suppressed cells')
  t.equal(
    report.recovered,
    0,
    `no suppressed count is recovered (${report.recovered} of ${report.suppressed} were)`,
  )
}

for (const engine of engines) {
  t.test(`${engine}: a viewer of the demo's GM0518`, async (t) => {
    const started = performance.now()
    const { app, admin } = await buildTestApp(t, engine, { autoRecompute: false })
    await loadDemoData(app)
    await runModelToEnd(app, admin, { horizon_quarters: 4 })
    await app.alertEvaluator.evaluateNow()
    const { report, revision } = await attack(app, admin, 'GM0518')
    t.comment(`revision: ${revision.join('; ')}`)
    t.comment(`set-up, reads and solving took ${Math.round(performance.now() - started)} ms`)
    assertNothingRecovered(t, report)
  })

  t.test(`${engine}: a viewer of a generated municipality with many small counts`, async (t) => {
    const started = performance.now()
    const { app, admin } = await buildTestApp(t, engine, { autoRecompute: false })
    const data = generateSmallCounts({ seed: 36 })
    const post = async (url: string, payload: object) => {
      const response = await app.inject({ method: 'POST', url, headers: admin, payload })
      if (response.statusCode >= 300) throw new Error(`POST ${url}: ${response.body}`)
      return response.json()
    }
    await post('/v1/snapshots', data.rows)
    for (const horizon of [0, 4]) await runModelToEnd(app, admin, { horizon_quarters: horizon })
    const start = data.periods[Math.floor((data.periods.length * 2) / 3)]
    // three treated neighbourhoods, in different districts where there are enough
    const treated = data.districts
      .map((district) =>
        data.neighbourhoods.find((code) => code.startsWith(`BU${district.slice(2)}`))!,
      )
      .concat(data.neighbourhoods.slice(-1))
      .slice(0, 3)
    await post('/v1/interventions', {
      name: 'Kleine buurten (test)',
      municipality: data.municipality,
      areas: treated.map((area_code) => ({ area_code, start_period: start })),
    })
    for (const rule of [
      { name: 'top risk', kind: 'risk_percentile', params: { p: 30 } },
      { name: 'rise', kind: 'yoy_rise', params: { q: 0.5, min_relative_rise: 0.05 } },
      { name: 'aberration', kind: 'aberration', params: { b: 2, min_count: 1 } },
      { name: 'trend', kind: 'trend', params: { alpha: 0.5 } },
    ]) {
      await post('/v1/alert-rules', { ...rule, municipality: data.municipality })
    }
    await app.alertEvaluator.evaluateNow()
    const { report, revision } = await attack(app, admin, data.municipality)
    t.comment(`revision: ${revision.join('; ')}`)
    t.comment(`set-up, reads and solving took ${Math.round(performance.now() - started)} ms`)
    assertNothingRecovered(t, report)
  })
}
