import t from 'tap'
import { readFileSync } from 'node:fs'
import {
  demoFirstYear,
  demoInterventionAreas,
  demoLastYear,
  demoMunicipality,
  generateDemoData,
  minimumYouth,
  readDemoGeography,
} from '../../../services/demo/generate-demo.js'
import { baseColumn, countColumns, outcomeColumn } from '../../../models/vocabulary/indicators.js'
import { parentCode } from '../../../services/domain/areas.js'

/**
 * services/demo/generate-demo.ts (issue 16): the demo on Den Haag's real CBS 2015 division,
 * synthetic seeded counts on it. The facts checked against the bundled files are CBS's (114
 * buurten, 44 wijken; see services/demo/geo/README.md).
 */

const demo = generateDemoData()

t.test('when generated twice with one seed, then the rows are identical', async (t) => {
  t.same(generateDemoData(), demo, 'same seed, same data set')
  const other = generateDemoData(7)
  t.not(
    JSON.stringify(other.snapshots),
    JSON.stringify(demo.snapshots),
    'another seed draws other counts',
  )
  t.same(
    other.neighbourhoods.map((area) => area.code),
    demo.neighbourhoods.map((area) => area.code),
    'on the same geography',
  )
})

t.test('the areas are Den Haag’s real buurten and wijken', async (t) => {
  t.same(demo.municipality, { code: 'GM0518', name: "'s-Gravenhage" })
  t.same(demoMunicipality, demo.municipality)
  t.equal(demo.neighbourhoods.length, 114, '114 buurten')
  t.equal(demo.districts.length, 44, '44 wijken')
  const codes = new Set(demo.neighbourhoods.map((area) => area.code))
  t.equal(codes.size, 114, 'each buurt once')
  const byCode = new Map(demo.neighbourhoods.map((area) => [area.code, area]))
  // Known pairs of CBS's 2015 division (also in the 2014 label list of shared/geo).
  t.equal(byCode.get('BU05182915')?.name, 'Schildersbuurt-West')
  t.equal(byCode.get('BU05180170')?.name, 'Oostduinen')
  t.equal(byCode.get('BU05183825')?.name, 'Laakkwartier-Oost')
  t.equal(demo.districts.find((district) => district.code === 'WK051828')?.name, 'Wijk 28 Centrum')
  for (const area of demo.neighbourhoods) {
    t.match(area.code, /^BU0518\d{4}$/, `${area.code} is a Den Haag buurt code`)
    t.ok(area.name.length > 0 && !/demo/i.test(area.name), `${area.code} has its real name`)
  }
})

t.test('every buurt’s parent is a real wijk of the bundled division', async (t) => {
  const wijken = new Set(demo.districts.map((district) => district.code))
  const orphans = demo.neighbourhoods.filter(
    (area) => !wijken.has(area.district) || parentCode(area.code) !== area.district,
  )
  t.same(orphans, [], 'the file’s WK_CODE is the code’s parent and a wijk of the file')
  const used = new Set(demo.neighbourhoods.map((area) => area.district))
  t.equal(used.size, 44, 'every wijk has buurten')
})

t.test('every boundary is a polygon of the bundled file, kept whole', async (t) => {
  const geography = readDemoGeography()
  t.equal(geography.buurten.features.length, 114)
  t.equal(geography.wijken.features.length, 44)
  for (const area of [...demo.neighbourhoods, ...demo.districts]) {
    t.ok(
      area.geometry.type === 'Polygon' || area.geometry.type === 'MultiPolygon',
      `${area.code} is a ${area.geometry.type}`,
    )
  }
  // inside the municipality's bounding box (lon 4.18–4.43, lat 51.99–52.14)
  const schilders = demo.neighbourhoods.find((area) => area.code === 'BU05182915')!
  const ring = (schilders.geometry.coordinates as number[][][])[0]
  for (const [longitude, latitude] of ring) {
    t.ok(longitude > 4.18 && longitude < 4.43 && latitude > 51.99 && latitude < 52.14)
  }
  const licence = readFileSync(new URL('../../../services/demo/geo/README.md', import.meta.url))
  t.match(licence.toString(), /Bron: CBS\/Kadaster/, 'the bundled files carry the credit')
  t.match(licence.toString(), /CC BY 4\.0/)
})

t.test('the counts are plausible, small and complete', async (t) => {
  const quarters = (demoLastYear - demoFirstYear + 1) * 4
  const published = demo.neighbourhoods.filter((area) => area.youth >= minimumYouth)
  t.ok(published.length >= 100, `${published.length} buurten have rows`)
  t.equal(demo.snapshots.length, published.length * quarters, 'every quarter of each')
  const withRows = new Set(demo.snapshots.map((row) => row.area_code))
  for (const area of demo.neighbourhoods) {
    t.equal(withRows.has(area.code), area.youth >= minimumYouth, `${area.code} rows as its size`)
  }
  t.notOk(withRows.has('BU05180170'), 'Oostduinen (no inhabitants) has no rows')
  let outcomes = 0
  let young = 0
  for (const row of demo.snapshots) {
    const base = row[baseColumn]
    t.ok(Number.isInteger(base) && base >= minimumYouth, 'a youth population')
    for (const column of countColumns) {
      const value = row[column]
      if (value === null) continue
      if (!(Number.isInteger(value) && value >= 0 && value <= base)) {
        t.fail(`${row.area_code} ${row.period} ${column} = ${value} of ${base}`)
      }
    }
    outcomes += row[outcomeColumn] ?? 0
    young += base
  }
  const rate = outcomes / young
  t.ok(rate > 0.001 && rate < 0.02, `outcome rate per quarter ${rate.toFixed(4)} is small`)
})

t.test('a few buurten rise from 2023 and six carry the intervention', async (t) => {
  const rising = demo.neighbourhoods.filter((area) => area.rising)
  t.ok(rising.length >= 3 && rising.length <= 5, `${rising.length} rising buurten`)
  const sum = (code: string, from: string, to: string) =>
    demo.snapshots
      .filter((row) => row.area_code === code && row.period >= from && row.period <= to)
      .reduce((total, row) => total + (row[outcomeColumn] ?? 0) / row[baseColumn], 0)
  for (const area of rising) {
    t.ok(
      sum(area.code, '2024Q1', '2024Q4') > 1.3 * sum(area.code, '2021Q1', '2021Q4'),
      `${area.code} ${area.name} rose`,
    )
    t.notOk(demoInterventionAreas.includes(area.code), 'not a treated buurt')
    t.ok(area.youth >= 200, 'a buurt large enough for the rise to show')
  }
  const codes = new Set(demo.snapshots.map((row) => row.area_code))
  t.equal(demoInterventionAreas.length, 6)
  for (const code of demoInterventionAreas) t.ok(codes.has(code), `${code} has rows`)
})
