import t from 'tap'
import { staggeredDid, type DidPanelRow } from '../../../../models/effects/did/index.js'
import { mulberry32 } from '../../../../models/stats/seeded-random.js'

/** Seeded panel: unit level + common trend + noise (sd 0.0005); treated units from period 36 get `effect`. */
function simulatePanel(seed: number, effect: number): DidPanelRow[] {
  const random = mulberry32(seed)
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  const rows: DidPanelRow[] = []
  for (let unit = 0; unit < 250; unit++) {
    const treated = unit < 50
    const level = 0.004 + 0.002 * random()
    for (let time = 0; time < 48; time++) {
      const outcome =
        level + 0.00002 * time + 0.0005 * normal() + (treated && time >= 36 ? effect : 0)
      rows.push({ unit: `u${unit}`, time, outcome, group: treated ? 36 : 0 })
    }
  }
  return rows
}

t.test('staggeredDid', async (t) => {
  t.test(
    'when treated units get a known effect, then the overall interval covers it and excludes zero',
    async (t) => {
      const truth = -0.001
      // planted effect −0.001 per young person per quarter in 50 of 250 units from period 36 (seed 11)
      const result = staggeredDid(simulatePanel(11, truth))
      t.ok(
        result.overall.ciLow <= truth && truth <= result.overall.ciHigh,
        `interval ${result.overall.ciLow}…${result.overall.ciHigh}`,
      )
      t.ok(result.overall.ciHigh < 0)
      t.ok(result.overall.pValue < 0.05)
      t.equal(result.eventStudy.length, 47)
    },
  )

  t.test(
    'when the panel is given wide, then the result equals that of the long rows',
    async (t) => {
      const rows = simulatePanel(11, -0.001)
      const units = new Map<string, { unit: string; outcomes: number[]; group: number }>()
      for (const row of rows) {
        const entry = units.get(row.unit) ?? { unit: row.unit, outcomes: [], group: row.group }
        entry.outcomes[row.time] = row.outcome
        units.set(row.unit, entry)
      }
      const wide = staggeredDid({
        times: Array.from({ length: 48 }, (_, time) => time),
        units: [...units.values()],
      })
      t.same(wide, staggeredDid(rows))
    },
  )

  t.test('when a placebo group has no effect, then it is not flagged', async (t) => {
    // no planted effect (seed 12)
    const result = staggeredDid(simulatePanel(12, 0))
    t.ok(result.overall.ciLow <= 0 && 0 <= result.overall.ciHigh)
    t.ok(result.overall.pValue > 0.05)
  })
})
