import t from 'tap'
import { parse } from 'csv-parse/sync'
import { buildTestApp, createKey, runModelToEnd } from '../../helper.js'
import { csvOf, snapshotRow } from '../../support/snapshot-fixtures.js'
import { riskPanel } from '../../support/risk-fixtures.js'

const formulaName = "=cmd|' /C calc'!A0"

/** CSV exports of the list routes (`?format=csv` or `Accept: text/csv`), through the API. */
t.test('CSV exports', async (t) => {
  const { app, admin } = await buildTestApp(t, 'pglite')
  const uploaded = await app.inject({
    method: 'POST',
    url: '/v1/snapshots',
    headers: { ...admin, 'content-type': 'text/csv' },
    payload: csvOf([
      ...riskPanel({ neighbourhoodsPerDistrict: 3, years: 3 }),
      snapshotRow({ area_code: 'BU05189901', area_name: formulaName, period: '2023Q4' }),
      snapshotRow({ area_code: 'BU05189902', area_name: '@SUM(A1:A9)', period: '2023Q4' }),
    ]),
  })
  t.equal(uploaded.statusCode, 201, uploaded.body)
  t.equal((await runModelToEnd(app, admin)).status, 'succeeded')

  const exportOf = async (url: string, headers: Record<string, string> = admin) => {
    const json = await app.inject({ method: 'GET', url, headers })
    const csv = await app.inject({
      method: 'GET',
      url: `${url}${url.includes('?') ? '&' : '?'}format=csv`,
      headers,
    })
    return { json, csv, rows: parse(csv.body, { columns: true }) as Array<Record<string, string>> }
  }

  t.test(
    'when a list is asked as CSV, then it holds the same items as the JSON, as text/csv',
    async (t) => {
      const { json, csv, rows } = await exportOf(
        '/v1/areas?municipality=GM0518&level=neighbourhood',
      )
      t.equal(csv.statusCode, 200)
      t.match(csv.headers['content-type'], /^text\/csv; charset=utf-8/)
      t.equal(csv.headers['content-disposition'], 'attachment; filename="aanwas-areas.csv"')
      t.equal(csv.headers['x-total-count'], String(json.json().total))
      t.same(csv.body.split('\r\n')[0], 'area_code,area_name,level,parent_code')
      const expected = (json.json().items as Array<Record<string, string | null>>).map((area) => ({
        area_code: area.area_code,
        area_name:
          area.area_name?.startsWith('=') || area.area_name?.startsWith('@')
            ? `'${area.area_name}`
            : (area.area_name ?? ''),
        level: area.level,
        parent_code: area.parent_code ?? '',
      }))
      t.same(rows, expected)
    },
  )

  t.test(
    'when a name starts like a formula, then every export that shows it escapes it',
    async (t) => {
      for (const url of [
        '/v1/areas?municipality=GM0518',
        '/v1/risk?municipality=GM0518&period=2023Q4',
        '/v1/trends?municipality=GM0518&period=2023Q4',
      ]) {
        const { csv, rows } = await exportOf(url)
        t.equal(csv.statusCode, 200, `${url}: ${csv.body.slice(0, 200)}`)
        const names = rows.map((row) => row.area_name)
        t.ok(names.includes(`'${formulaName}`), `${url}: the formula name is escaped`)
        t.ok(names.includes("'@SUM(A1:A9)"), `${url}: an @ name is escaped`)
        t.notOk(
          csv.body.includes(`\r\n${formulaName}`) || csv.body.includes(`,${formulaName}`),
          `${url}: never bare`,
        )
      }
    },
  )

  t.test(
    'when numbers are exported, then they are the JSON numbers, nested results flattened',
    async (t) => {
      const { json, rows } = await exportOf('/v1/trends?municipality=GM0518&period=2023Q4')
      const items = json.json().items as Array<Record<string, unknown>>
      t.equal(rows.length, items.length)
      for (const [index, item] of items.entries()) {
        t.equal(rows[index].area_code, item.area_code)
        t.equal(rows[index].rate, item.rate === null ? '' : String(item.rate))
        const mk = item.mann_kendall as Record<string, unknown> | null
        t.equal(rows[index]['mann_kendall.p'], mk === null ? '' : String(mk.p))
      }
      const risk = await exportOf('/v1/risk?municipality=GM0518')
      const riskItems = risk.json.json().items as Array<Record<string, number>>
      t.same(
        risk.rows.map((row) => Number(row.risk)),
        riskItems.map((item) => item.risk),
        'risk values survive the trip exactly',
      )
    },
  )

  t.test('when a viewer exports, then the CSV is as disclosed as the JSON', async (t) => {
    const viewer = await createKey(app, admin, 'viewer')
    const { json, rows } = await exportOf('/v1/areas/BU05189901/snapshots', viewer.headers)
    const items = json.json().items as Array<Record<string, unknown>>
    t.ok(items.length > 0)
    for (const [index, item] of items.entries()) {
      t.equal(
        rows[index].drug_offence_suspects,
        item.drug_offence_suspects === null ? '' : String(item.drug_offence_suspects),
      )
    }
  })

  t.test(
    'when an exact list is exported, then the read is audited like the JSON one',
    async (t) => {
      await app.flushAudit()
      const before = Number(
        (
          await app
            .knex('audit_log')
            .where({ route: '/v1/risk', exact_read: true })
            .count({ n: '*' })
        )[0].n,
      )
      await app.inject({
        method: 'GET',
        url: '/v1/risk?municipality=GM0518&format=csv',
        headers: admin,
      })
      await app.flushAudit()
      const after = Number(
        (
          await app
            .knex('audit_log')
            .where({ route: '/v1/risk', exact_read: true })
            .count({ n: '*' })
        )[0].n,
      )
      t.equal(after, before + 1)
    },
  )

  t.test('when Accept asks for text/csv, then CSV; format=json wins over it', async (t) => {
    const accepted = await app.inject({
      method: 'GET',
      url: '/v1/areas',
      headers: { ...admin, accept: 'text/csv' },
    })
    t.match(accepted.headers['content-type'], /^text\/csv/)
    const explicit = await app.inject({
      method: 'GET',
      url: '/v1/areas?format=json',
      headers: { ...admin, accept: 'text/csv' },
    })
    t.match(explicit.headers['content-type'], /^application\/json/)
  })

  t.test('when the answer is an error or not a list, then it stays JSON', async (t) => {
    const unknown = await app.inject({
      method: 'GET',
      url: '/v1/areas/BU09999999/snapshots?format=csv',
      headers: admin,
    })
    t.equal(unknown.statusCode, 404)
    t.equal(unknown.json().error.code, 'not_found')
    const bad = await app.inject({ method: 'GET', url: '/v1/areas?format=xlsx', headers: admin })
    t.equal(bad.statusCode, 400)
    const trend = await app.inject({
      method: 'GET',
      url: '/v1/areas/BU05180101/trend',
      headers: { ...admin, accept: 'text/csv' },
    })
    t.match(
      trend.headers['content-type'],
      /^application\/json/,
      'a single resource is not exported',
    )
  })

  t.test('when a list is empty, then the CSV has its header', async (t) => {
    const { csv, rows } = await exportOf('/v1/alerts')
    t.same(rows, [])
    t.match(csv.body, /^id,rule_id,rule_name,kind,area_code,/)
    t.equal(csv.headers['x-total-count'], '0')
  })
})
