import t from 'tap'
import { writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { freshDataDir, testConfig } from '../../helper.js'
import { csvOf, snapshotRow } from '../../support/snapshot-fixtures.js'
import {
  DataDirectoryDamagedError,
  DataDirectoryInUseError,
  dataDirectoryHolder,
  openDatabase,
} from '../../../services/db/open-database.js'
import { buildServer } from '../../../services/server.js'

t.test('openDatabase on the embedded engine', async (t) => {
  t.test(
    'when the service restarts on the same data directory, then the data is still there',
    async (t) => {
      const dataDir = await freshDataDir(t)
      const headers = { authorization: `Bearer ${testConfig.adminKey}` }
      const first = await buildServer({
        overrides: { ...testConfig, dataDir, databaseUrl: undefined },
        logger: false,
      })
      const upload = await first.inject({
        method: 'POST',
        url: '/v1/snapshots',
        headers: { ...headers, 'content-type': 'text/csv' },
        payload: csvOf([snapshotRow()]),
      })
      t.equal(upload.statusCode, 201)
      await first.close()

      const second = await buildServer({
        overrides: { ...testConfig, dataDir, databaseUrl: undefined },
        logger: false,
      })
      t.teardown(() => second.close())
      const read = await second.inject({
        method: 'GET',
        url: '/v1/areas/BU05180101/snapshots',
        headers,
      })
      t.equal(read.json().total, 1)
      t.equal(read.json().items[0].batch_id, upload.json().batch_id)
    },
  )

  t.test(
    'when a second process opens a data directory in use, then it is refused naming the holder',
    async (t) => {
      const dataDir = await freshDataDir(t)
      const database = await openDatabase({ dataDir })
      t.teardown(() => database.close())
      // Pretend another live process holds it: this process's parent is alive and not us.
      writeFileSync(join(dataDir, 'aanwas.lock'), String(process.ppid))
      await t.rejects(openDatabase({ dataDir }), DataDirectoryInUseError)
      await t.rejects(openDatabase({ dataDir }), { message: new RegExp(`process ${process.ppid}`) })
      t.equal(dataDirectoryHolder(dataDir), process.ppid)
      writeFileSync(join(dataDir, 'aanwas.lock'), String(process.pid))
    },
  )

  t.test(
    'when the lock was left by a process that no longer runs, then it is taken over',
    async (t) => {
      const dataDir = await freshDataDir(t)
      const child = spawn(process.execPath, ['-e', '0'])
      const deadPid = child.pid!
      await new Promise((resolve) => child.on('exit', resolve))
      writeFileSync(join(dataDir, 'aanwas.lock'), String(deadPid))
      const database = await openDatabase({ dataDir })
      t.equal(dataDirectoryHolder(dataDir), process.pid)
      await database.close()
      t.equal(dataDirectoryHolder(dataDir), undefined, 'the lock is released on close')
    },
  )

  t.test(
    'when the data directory is damaged, then opening fails with a clear message',
    async (t) => {
      const dataDir = await freshDataDir(t)
      rmSync(join(dataDir, 'pgdata', 'global'), { recursive: true, force: true })
      rmSync(join(dataDir, 'pgdata', 'base'), { recursive: true, force: true })
      await t.rejects(openDatabase({ dataDir }), DataDirectoryDamagedError)
      t.equal(dataDirectoryHolder(dataDir), undefined, 'a failed open leaves no lock behind')
    },
  )
})
