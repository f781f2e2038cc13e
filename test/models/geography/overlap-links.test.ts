import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import type { Polygon } from 'geojson'
import { overlapLinks, type DivisionArea } from '../../../models/geography/overlap-links.js'
import { Crosswalk } from '../../../models/geography/crosswalk.js'

/**
 * models/geography/overlap-links.ts on hand-made rectangles with known shares and on Den Haag's
 * real 2015 and 2022 buurten (../shared/geo, CBS/Kadaster, read by path: test fixtures only).
 */

const geo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'shared', 'geo')

/** A rectangle in lon/lat. Within one latitude band, surfaces are proportional to longitude. */
const rectangle = (west: number, south: number, east: number, north: number): Polygon => ({
  type: 'Polygon',
  coordinates: [
    [
      [west, south],
      [east, south],
      [east, north],
      [west, north],
      [west, south],
    ],
  ],
})
const area = (code: string, geometry: Polygon): DivisionArea => ({ code, geometry })

t.test('overlapLinks', async (t) => {
  t.test(
    'when a district is cut in two, then its shares are the surfaces, 1/4 and 3/4',
    async (t) => {
      const { links, unmatched } = overlapLinks(
        { year: 2022, areas: [area('WK036393', rectangle(4.0, 52.0, 4.02, 52.01))] },
        {
          year: 2023,
          areas: [
            area('WK0363TB', rectangle(4.0, 52.0, 4.005, 52.01)),
            area('WK0363TC', rectangle(4.005, 52.0, 4.02, 52.01)),
            area('WK0363TX', rectangle(4.1, 52.0, 4.2, 52.01)), // elsewhere
          ],
        },
      )
      t.same(unmatched, [])
      t.same(
        links.map((link) => link.to_code),
        ['WK0363TB', 'WK0363TC'],
      )
      t.ok(Math.abs(links[0].weight - 0.25) < 1e-6, `${links[0].weight}`)
      t.ok(Math.abs(links[1].weight - 0.75) < 1e-6, `${links[1].weight}`)
    },
  )

  t.test('when two districts merge, then each goes whole to the new code', async (t) => {
    const { links } = overlapLinks(
      {
        year: 2022,
        areas: [
          area('WK036378', rectangle(4.0, 52.0, 4.01, 52.01)),
          area('WK036379', rectangle(4.01, 52.0, 4.02, 52.01)),
        ],
      },
      { year: 2023, areas: [area('WK0363FB', rectangle(4.0, 52.0, 4.02, 52.01))] },
    )
    t.same(
      links.map((link) => [link.from_code, link.to_code, link.weight]),
      [
        ['WK036378', 'WK0363FB', 1],
        ['WK036379', 'WK0363FB', 1],
      ],
    )
  })

  t.test(
    'when a redrawn line leaves a sliver, then it is dropped and the rest scaled to 1',
    async (t) => {
      const { links } = overlapLinks(
        { year: 2022, areas: [area('WK000101', rectangle(4.0, 52.0, 4.02, 52.01))] },
        {
          year: 2023,
          areas: [
            area('WK000111', rectangle(3.99, 52.0, 4.0198, 52.01)), // 99 % of the old one
            area('WK000112', rectangle(4.0198, 52.0, 4.03, 52.01)), // a 1 % sliver
          ],
        },
      )
      t.same(
        links.map((link) => [link.to_code, link.weight]),
        [['WK000111', 1]],
      )
    },
  )

  t.test(
    'when a code keeps its place but its drawing changes, then it links to itself',
    async (t) => {
      const { links } = overlapLinks(
        { year: 2015, areas: [area('BU05180101', rectangle(4.0, 52.0, 4.01, 52.01))] },
        {
          year: 2022,
          areas: [
            area('BU05180101', rectangle(4.0, 52.0, 4.0085, 52.01)),
            area('BU05180102', rectangle(4.0085, 52.0, 4.02, 52.01)),
          ],
        },
      )
      t.same(links, [
        {
          from_year: 2015,
          from_code: 'BU05180101',
          to_year: 2022,
          to_code: 'BU05180101',
          weight: 1,
        },
      ])
    },
  )

  t.test(
    'when an old area lies outside the new division, then it is listed as unmatched',
    async (t) => {
      const { links, unmatched } = overlapLinks(
        { year: 2022, areas: [area('WK000101', rectangle(5.0, 52.0, 5.01, 52.01))] },
        { year: 2023, areas: [area('WK000111', rectangle(4.0, 52.0, 4.01, 52.01))] },
      )
      t.same([links, unmatched], [[], ['WK000101']])
      t.throws(
        () => overlapLinks({ year: 2023, areas: [] }, { year: 2023, areas: [] }),
        /later division/,
      )
    },
  )

  t.test(
    "when Den Haag's 2015 and 2022 buurten are linked, then all 114 codes link to themselves",
    async (t) => {
      const read = (file: string, codeOf: (properties: Record<string, string>) => string) =>
        (
          JSON.parse(readFileSync(join(geo, file), 'utf8')) as {
            features: { properties: Record<string, string>; geometry: Polygon }[]
          }
        ).features.map((entry) => area(codeOf(entry.properties), entry.geometry))
      const buurten2015 = read('denhaag_GM0518_buurten_2015.geojson', (p) => p.BU_CODE)
      const buurten2022 = read('denhaag_GM0518_buurten_2022.geojson', (p) => p.statcode)
      const { links, unmatched } = overlapLinks(
        { year: 2015, areas: buurten2015 },
        { year: 2022, areas: buurten2022 },
      )
      t.same(unmatched, [])
      t.equal(links.length, 114)
      t.ok(
        links.every((link) => link.to_code === link.from_code && link.weight === 1),
        'every buurt is itself, weight 1',
      )
      const crosswalk = new Crosswalk(links)
      t.same(
        crosswalk.sharesOf('BU05180170', 2015, 2022),
        [{ code: 'BU05180170', weight: 1, bridged: false, smallestLinkWeight: 1 }],
        'not marked bridged',
      )
    },
  )
})
