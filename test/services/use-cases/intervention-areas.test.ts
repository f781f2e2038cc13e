import t from 'tap'
import { buildTestApp, engines } from '../../helper.js'
import { normaliseInterventionAreas } from '../../../services/use-cases/intervention-areas.js'

/**
 * use-cases/intervention-areas.ts: the treated areas of an intervention are checked once, on
 * write: each an existing neighbourhood of the intervention's municipality, listed once, with
 * canonical quarters and start ≤ end. Anything else is a 400 naming the offending entry.
 */

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app } = await buildTestApp(t, engine)
    await app.knex.transaction((trx) =>
      app.areasRepository.upsertAreas(
        new Map([
          ['BU05180101', 'Centrum'],
          ['BU05180102', null],
          ['BU05990101', null],
        ]),
        trx,
      ),
    )
    const normalise = (areas: Parameters<typeof normaliseInterventionAreas>[2]) =>
      normaliseInterventionAreas(app.areasRepository, 'GM0518', areas)

    t.test('normaliseInterventionAreas', async (t) => {
      t.test(
        'when the areas are valid, then quarters are canonical and a missing end is null',
        async (t) => {
          t.same(
            await normalise([
              { area_code: 'BU05180101', start_period: '2022 q1', end_period: '2023KW04' },
              { area_code: 'BU05180102', start_period: '2022-Q2' },
            ]),
            [
              { area_code: 'BU05180101', start_period: '2022Q1', end_period: '2023Q4' },
              { area_code: 'BU05180102', start_period: '2022Q2', end_period: null },
            ],
          )
        },
      )

      t.test('when start and end are the same quarter, then it is accepted', async (t) => {
        t.same(
          await normalise([
            { area_code: 'BU05180101', start_period: '2022Q1', end_period: '2022Q1' },
          ]),
          [{ area_code: 'BU05180101', start_period: '2022Q1', end_period: '2022Q1' }],
        )
      })

      const invalid: Array<[string, Parameters<typeof normaliseInterventionAreas>[2], RegExp]> = [
        [
          'a district',
          [{ area_code: 'WK051801', start_period: '2022Q1' }],
          /^areas\[0\] \(WK051801\): interventions treat neighbourhoods/,
        ],
        [
          'a neighbourhood of another municipality',
          [{ area_code: 'BU05990101', start_period: '2022Q1' }],
          /^areas\[0\] \(BU05990101\): not a neighbourhood of GM0518/,
        ],
        [
          'an area listed twice',
          [
            { area_code: 'BU05180101', start_period: '2022Q1' },
            { area_code: 'BU05180101', start_period: '2022Q2' },
          ],
          /^areas\[1\] \(BU05180101\): listed twice/,
        ],
        [
          'a start that is no quarter',
          [{ area_code: 'BU05180101', start_period: '2022-03' }],
          /start_period must be a quarter/,
        ],
        [
          'an end that is no quarter',
          [{ area_code: 'BU05180101', start_period: '2022Q1', end_period: 'soon' }],
          /end_period must be a quarter/,
        ],
        [
          'an end before the start',
          [{ area_code: 'BU05180101', start_period: '2022Q3', end_period: '2022Q2' }],
          /end_period 2022Q2 is before start_period 2022Q3/,
        ],
        [
          'an unknown neighbourhood',
          [
            { area_code: 'BU05180101', start_period: '2022Q1' },
            { area_code: 'BU05180109', start_period: '2022Q1' },
          ],
          /^areas\[1\] \(BU05180109\): unknown area; upload its snapshots first/,
        ],
      ]
      for (const [what, areas, message] of invalid) {
        t.test(`when an entry is ${what}, then 400 naming it`, async (t) => {
          await t.rejects(normalise(areas), { statusCode: 400, code: 'bad_request', message })
        })
      }

      t.test(
        'when called inside a transaction, then areas created in it count as known',
        async (t) => {
          await app.knex
            .transaction(async (trx) => {
              await app.areasRepository.upsertAreas(new Map([['BU05180105', null]]), trx)
              const rows = await normaliseInterventionAreas(
                app.areasRepository,
                'GM0518',
                [{ area_code: 'BU05180105', start_period: '2022Q1' }],
                trx,
              )
              t.same(rows, [{ area_code: 'BU05180105', start_period: '2022Q1', end_period: null }])
              throw new Error('roll back')
            })
            .catch((error: Error) => {
              if (error.message !== 'roll back') throw error
            })
        },
      )
    })
  })
}
