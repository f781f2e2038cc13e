import t from 'tap'
import { runCli as run } from '../support/cli-runner.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { freshDataDir, sharedDir, testAdminKey } from '../helper.js'
import { csv } from '../support/snapshot-fixtures.js'
import { generateDemoData } from '../../services/demo/generate-demo.js'

const header =
  'area_code,period,youth_population,early_school_leavers,halt_registrations,parental_debt,drug_offence_suspects'

t.test('aanwas import', async (t) => {
  const dataDir = await freshDataDir(t)
  const env = { AANWAS_DATA_DIR: dataDir, AANWAS_ADMIN_KEY: testAdminKey }
  const good = join(dataDir, 'good.csv')
  const bad = join(dataDir, 'bad.csv')
  // a lettered CBS code (Amsterdam since 2023) beside numbered ones
  writeFileSync(
    good,
    csv(
      header,
      'BU05180101,2024Q1,100,1,2,3,4',
      'BU05180102,2024Q1,100,1,2,3,4',
      'BU0363AF09,2024Q1,100,1,2,3,4',
    ),
  )
  writeFileSync(bad, csv(header, 'BU05180101,2024Q1,100,1,2,3,4', 'BU05180102,2024Q1,10,1,2,3,40'))

  t.test('when a file has a bad row, then it prints the row errors and exits 1', async (t) => {
    const result = await run(['import', bad], env)
    t.equal(result.code, 1, result.stderr)
    t.match(result.stderr, /row 3, column drug_offence_suspects: .*larger than youth_population/)
  })

  t.test('when the file is good, then it prints the summary and exits 0', async (t) => {
    const result = await run(['import', good], env)
    t.equal(result.code, 0, result.stderr)
    t.match(JSON.parse(result.stdout), { rows: 3, inserted: 3 })
  })

  t.test(
    'when a KWB-style table in Windows-1252 is imported with --columns kwb --charset, then it is stored',
    async (t) => {
      const kwb = join(dataDir, 'kwb.csv')
      const text =
        'Codering_3;WijkenEnBuurten;Perioden;Jongeren13Tot18Jaar;VoortijdigSchoolverlaters;' +
        'JongerenMetHaltRegistratie;JongerenMetOudersMetProblematischeSchulden;JongeVerdachtenDrugsdelicten\n' +
        'BU0363AF09  ;Buurt Zuidoever ë;2024KW02;100;1;2;3;4\n'
      writeFileSync(kwb, Buffer.from(text, 'latin1'))
      const plain = await run(['import', kwb], env)
      t.equal(plain.code, 1, 'without the mapping the headers are unknown')
      const mapped = await run(
        ['import', kwb, '--columns', 'kwb', '--charset', 'windows-1252'],
        env,
      )
      t.equal(mapped.code, 0, mapped.stderr)
      t.match(JSON.parse(mapped.stdout), { rows: 1, inserted: 1 })
      t.equal((await run(['import', kwb, '--columns', '{"x":"nope"}'], env)).code, 2)
    },
  )

  t.test('when the file does not exist or the command is unknown, then exit 2', async (t) => {
    t.equal((await run(['import', join(dataDir, 'missing.csv')], env)).code, 2)
    t.equal((await run(['frobnicate'], env)).code, 2)
  })

  t.test('when the database cannot be reached, then exit 3', async (t) => {
    const result = await run(['import', good], {
      ...env,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
    })
    t.equal(result.code, 3)
    t.match(result.stderr, /cannot be reached/)
  })

  t.test(
    'when a running service holds the data directory, then exit 3 naming the process',
    async (t) => {
      // This test process plays the service: its pid is alive and not the CLI's.
      writeFileSync(join(dataDir, 'aanwas.lock'), String(process.pid))
      t.teardown(() => writeFileSync(join(dataDir, 'aanwas.lock'), ''))
      const result = await run(['import', good], env)
      t.equal(result.code, 3)
      t.match(result.stderr, new RegExp(`in use by process ${process.pid}`))
    },
  )
})

t.test('aanwas import-geo, keys create and demo', async (t) => {
  const dataDir = await freshDataDir(t)
  const env = { AANWAS_DATA_DIR: dataDir, AANWAS_ADMIN_KEY: testAdminKey }
  const wijken = join(sharedDir, 'geo', 'denhaag_GM0518_wijken_2015.geojson')

  t.test(
    'when the Den Haag districts are imported, then 44 features are stored',
    { skip: !existsSync(wijken) && `no ${wijken}` },
    async (t) => {
      const result = await run(['import-geo', wijken], env)
      t.equal(result.code, 0, result.stderr)
      t.same(JSON.parse(result.stdout), { features: 44, inserted: 44, updated: 0 })
    },
  )

  const haaglanden = join(sharedDir, 'geo', 'haaglanden_buurten_2015.geojson')
  t.test(
    'when a file has collapsed features, then it is refused unless --skip-invalid lists them',
    async (t) => {
      const refused = await run(['import-geo', haaglanden], env)
      t.equal(refused.code, 1, refused.stderr)
      t.match(refused.stderr, /skip_invalid|--skip-invalid/)
      const skipped = await run(['import-geo', haaglanden, '--skip-invalid'], env)
      t.equal(skipped.code, 0, skipped.stderr)
      const summary = JSON.parse(skipped.stdout)
      t.ok(summary.features > 0, `${summary.features} features stored`)
      t.ok(summary.skipped.length > 0, `${summary.skipped.length} left out`)
      t.ok(
        summary.skipped.every((entry: { rule: string }) => typeof entry.rule === 'string'),
        'each with its rule',
      )
    },
  )

  t.test(
    'when a key is created, then it is printed once; a bad role is a usage error',
    async (t) => {
      const result = await run(
        ['keys', 'create', '--role', 'viewer', '--municipality', 'GM0518'],
        env,
      )
      t.equal(result.code, 0, result.stderr)
      t.match(JSON.parse(result.stdout), { id: /^[0-9a-f-]{36}$/, key: /^aw_/ })
      t.equal((await run(['keys', 'create', '--role', 'boss'], env)).code, 2)
    },
  )

  t.test(
    'when demo is run on an empty database, then it loads; a second run does nothing',
    async (t) => {
      const first = await run(['demo'], env)
      t.equal(first.code, 0, first.stderr)
      t.match(JSON.parse(first.stdout), {
        loaded: true,
        neighbourhoods: 114,
        snapshots: generateDemoData().snapshots.length,
      })
      const second = await run(['demo'], env)
      t.match(JSON.parse(second.stdout), { loaded: false, reason: 'not_empty' })
    },
  )

  t.test(
    'when demo --remove is run, then the demo goes and the areas and boundaries imported before it stay',
    async (t) => {
      t.equal((await run(['demo', '--remove', '--force'], env)).code, 2, 'a usage error')
      const removed = await run(['demo', '--remove'], env)
      t.equal(removed.code, 0, removed.stderr)
      // Den Haag's wijken and buurten were imported above (import-geo), before the demo: they
      // are the user's, so no area and no boundary is removed with the demo.
      t.same(JSON.parse(removed.stdout), {
        removed: true,
        snapshots: generateDemoData().snapshots.length,
        restored: 0,
        areas: 0,
        boundaries: 0,
        interventions: 1,
        alert_rules: 4,
        alerts: JSON.parse(removed.stdout).alerts,
        model_runs: 1,
      })
      t.ok(JSON.parse(removed.stdout).alerts > 0, 'with the alerts of its rules')
      const again = await run(['demo', '--remove'], env)
      t.equal(again.code, 0, again.stderr)
      t.match(JSON.parse(again.stdout), { removed: false, snapshots: 0 })
      const reload = await run(['demo'], env)
      t.match(JSON.parse(reload.stdout), { loaded: false, reason: 'removed_before' })
    },
  )
})
