import t from 'tap'
import { Readable } from 'node:stream'
import { csvUploadRecords, type UploadRecord } from '../../../services/ingest/upload-records.js'

/**
 * services/ingest/upload-records.ts, the character set: a Windows-1252 file is decoded chunk by
 * chunk when asked for, and recognised with a hint when not.
 */

async function records(chunks: Buffer[], charset?: 'utf-8' | 'windows-1252') {
  const found: UploadRecord[] = []
  for await (const record of csvUploadRecords(Readable.from(chunks), { charset })) {
    found.push(record)
  }
  return found
}

/** `area_name` then `Ruïne ’t Café`, one byte a character as Windows-1252 writes them. */
const windows1252 = Buffer.concat([
  Buffer.from('area_code;area_name\nBU05180101;Ru'),
  Buffer.from([0xef]),
  Buffer.from('ne '),
  Buffer.from([0x92]),
  Buffer.from('t Caf'),
  Buffer.from([0xe9]),
  Buffer.from('\n'),
])

t.test('csvUploadRecords and the character set', async (t) => {
  t.test(
    'when windows-1252 is given, then a file cut into one-byte chunks decodes whole',
    async (t) => {
      const bytes = [...windows1252].map((byte) => Buffer.from([byte]))
      t.same(await records(bytes, 'windows-1252'), [
        { kind: 'header', names: ['area_code', 'area_name'] },
        { kind: 'fields', row: 2, fields: ['BU05180101', 'Ruïne ’t Café'] },
      ])
    },
  )

  t.test('when no charset is given, then the record names its column and the hint', async (t) => {
    const found = await records([windows1252])
    t.equal(found.length, 2)
    t.match(found[1], {
      kind: 'error',
      row: 2,
      column: null,
      message:
        /^the record is not valid UTF-8 text \(column "area_name": "Ru\uFFFDne \uFFFDt Caf\uFFFD"\): the file looks saved as Windows-1252/,
    })
  })

  t.test(
    'when the header itself is Windows-1252, then reading stops at row 1 with the hint',
    async (t) => {
      const found = await records([
        Buffer.concat([Buffer.from('area_code;gebi'), Buffer.from([0xeb, 0x64, 0x0a])]),
      ])
      t.match(found, [{ kind: 'error', row: 1, message: /looks saved as Windows-1252/ }])
      t.equal(found.length, 1)
    },
  )

  t.test('when UTF-8 text is plain ASCII, then windows-1252 changes nothing', async (t) => {
    const text = Buffer.from('area_code,area_name\nBU05180101,Centrum\n')
    t.same(await records([text], 'windows-1252'), await records([text]))
  })
})
