import t from 'tap'
import { Crosswalk, type AreaLink } from '../../../models/geography/crosswalk.js'
import { mulberry32 } from '../../../models/stats/seeded-random.js'

/**
 * models/geography/crosswalk.ts on the cases of issue 16, with the real Amsterdam 2022→2023
 * district changes (CBS wijk- en buurtsleutel as quoted in the issue: WK036393 split 36/39/26 % of
 * addresses; WK036378 and WK036379 merged into WK0363FB) and Weesp's merger into Amsterdam.
 */

const link = (
  from_year: number,
  from_code: string,
  to_year: number,
  to_code: string,
  weight: number,
): AreaLink => ({ from_year, from_code, to_year, to_code, weight })

const amsterdam2023 = [
  link(2022, 'WK036393', 2023, 'WK0363TB', 0.36),
  link(2022, 'WK036393', 2023, 'WK0363TC', 0.39),
  link(2022, 'WK036393', 2023, 'WK0363TD', 0.25),
  link(2022, 'WK036378', 2023, 'WK0363FB', 1),
  link(2022, 'WK036379', 2023, 'WK0363FB', 1),
  link(2022, 'GM0457', 2023, 'GM0363', 1),
]

t.test('Crosswalk', async (t) => {
  t.test('when a code has no link, then it carries as itself, weight 1, not bridged', async (t) => {
    const crosswalk = new Crosswalk(amsterdam2023)
    t.same(crosswalk.sharesOf('WK036304', 2015, 2024), [
      { code: 'WK036304', weight: 1, bridged: false, smallestLinkWeight: 1 },
    ])
    t.ok(new Crosswalk([]).isEmpty)
  })

  t.test('when a district was split in three, then its counts go by the shares', async (t) => {
    const shares = new Crosswalk(amsterdam2023).sharesOf('WK036393', 2022, 2023)
    t.same(shares, [
      { code: 'WK0363TB', weight: 0.36, bridged: true, smallestLinkWeight: 0.36 },
      { code: 'WK0363TC', weight: 0.39, bridged: true, smallestLinkWeight: 0.39 },
      { code: 'WK0363TD', weight: 0.25, bridged: true, smallestLinkWeight: 0.25 },
    ])
  })

  t.test('when two districts merged, then both go whole to the new code, bridged', async (t) => {
    const crosswalk = new Crosswalk(amsterdam2023)
    for (const code of ['WK036378', 'WK036379']) {
      t.same(crosswalk.sharesOf(code, 2022, 2023), [
        { code: 'WK0363FB', weight: 1, bridged: true, smallestLinkWeight: 1 },
      ])
    }
  })

  t.test(
    'when a municipality merged (Weesp into Amsterdam), then it is a link like any other',
    async (t) => {
      const crosswalk = new Crosswalk(amsterdam2023)
      t.same(crosswalk.sharesOf('GM0457', 2016, 2024), [
        { code: 'GM0363', weight: 1, bridged: true, smallestLinkWeight: 1 },
      ])
      t.same(
        crosswalk.sharesOf('GM0457', 2016, 2022),
        [{ code: 'GM0457', weight: 1, bridged: false, smallestLinkWeight: 1 }],
        'before the merger division it is still itself',
      )
    },
  )

  t.test('when links chain over three divisions, then the weights multiply', async (t) => {
    const crosswalk = new Crosswalk([
      link(2015, 'WK000101', 2018, 'WK000111', 0.5),
      link(2015, 'WK000101', 2018, 'WK000112', 0.5),
      link(2018, 'WK000111', 2023, 'WK000121', 0.8),
      link(2018, 'WK000111', 2023, 'WK000122', 0.2),
      link(2018, 'WK000112', 2023, 'WK000122', 1),
    ])
    const shares = crosswalk.sharesOf('WK000101', 2015, 2024)
    t.same(
      shares.map((share) => share.code),
      ['WK000121', 'WK000122'],
    )
    t.equal(shares[0].weight, 0.4)
    t.ok(Math.abs(shares[1].weight - 0.6) < 1e-12, 'two paths into WK000122 add up: 0.1 + 0.5')
    t.equal(shares[1].smallestLinkWeight, 0.2)
    t.same(
      crosswalk.sharesOf('WK000101', 2015, 2018).map((share) => [share.code, share.weight]),
      [
        ['WK000111', 0.5],
        ['WK000112', 0.5],
      ],
      'to the middle division only the first change applies',
    )
    t.same(
      crosswalk.sharesOf('WK000101', 2015, 2017).map((share) => share.code),
      ['WK000101'],
      'a change that lands after the target is not followed',
    )
  })

  t.test(
    'when a code of 2015 changes only in 2018, then it keeps its meaning until then',
    async (t) => {
      const crosswalk = new Crosswalk([link(2018, 'BU00010101', 2019, 'BU00010199', 1)])
      t.same(
        crosswalk.sharesOf('BU00010101', 2015, 2020).map((share) => share.code),
        ['BU00010199'],
      )
      t.same(
        crosswalk.sharesOf('BU00010101', 2019, 2020).map((share) => share.code),
        ['BU00010101'],
        'a link from an earlier division does not apply to a later stored year',
      )
    },
  )

  t.test('when a derived self-link of weight 1 is followed, then it is not bridged', async (t) => {
    const crosswalk = new Crosswalk([link(2015, 'BU05180101', 2022, 'BU05180101', 1)])
    t.same(crosswalk.sharesOf('BU05180101', 2015, 2022), [
      { code: 'BU05180101', weight: 1, bridged: false, smallestLinkWeight: 1 },
    ])
  })

  t.test('when asked backwards or given a link that goes back, then it refuses', async (t) => {
    t.throws(() => new Crosswalk(amsterdam2023).sharesOf('GM0363', 2023, 2022), {
      message: /cannot carry GM0363 of 2023 back to 2022/,
    })
    t.throws(() => new Crosswalk([link(2020, 'GM0001', 2020, 'GM0002', 1)]), {
      message: /to_year after from_year/,
    })
  })

  t.test(
    "property: when every area's links sum to 1, then every area's shares sum to 1",
    async (t) => {
      const random = mulberry32(16)
      for (let trial = 0; trial < 50; trial += 1) {
        const years = [2015, 2017, 2019, 2021, 2023]
        const links: AreaLink[] = []
        const codesOf = (year: number) => Array.from({ length: 6 }, (_, i) => `WK${year}${i}`)
        for (let y = 0; y < years.length - 1; y += 1) {
          for (const code of codesOf(years[y])) {
            if (random() < 0.3) continue // carried as itself
            const targets = codesOf(years[y + 1]).filter(() => random() < 0.4)
            if (targets.length === 0) targets.push(codesOf(years[y + 1])[0])
            const raw = targets.map(() => random() + 0.01)
            const total = raw.reduce((sum, value) => sum + value, 0)
            targets.forEach((to_code, i) =>
              links.push(link(years[y], code, years[y + 1], to_code, raw[i] / total)),
            )
          }
        }
        const crosswalk = new Crosswalk(links)
        for (const code of codesOf(2015)) {
          const shares = crosswalk.sharesOf(code, 2015, 2023)
          const total = shares.reduce((sum, share) => sum + share.weight, 0)
          if (Math.abs(total - 1) > 1e-9) t.fail(`trial ${trial} ${code}: shares sum to ${total}`)
        }
      }
      t.pass('50 random link sets over five divisions')
    },
  )
})
