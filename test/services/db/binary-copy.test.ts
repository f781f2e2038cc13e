import t from 'tap'
import { binaryCopyChunks, type BinaryCopyColumn } from '../../../services/db/binary-copy.js'

/**
 * services/db/binary-copy.ts against the format of PostgreSQL's COPY BINARY, read back here by a
 * decoder written from the documentation (sql-copy.html, "Binary Format"): the 11-byte
 * signature, 4 bytes of flags, 4 of header extension; per tuple an int16 field count, per field
 * an int32 length (−1 for NULL) and the bytes; an int16 −1 trailer. The round trip through a
 * real server is in test/services/repositories/risk-repository.test.ts.
 */

type Field = string | number | null

function decode(data: Buffer, types: readonly BinaryCopyColumn['type'][]): Field[][] {
  t.equal(data.subarray(0, 11).toString('latin1'), 'PGCOPY\n\xff\r\n\0', 'signature')
  t.equal(data.readInt32BE(11), 0, 'flags')
  t.equal(data.readInt32BE(15), 0, 'header extension')
  let offset = 19
  const rows: Field[][] = []
  for (;;) {
    const fields = data.readInt16BE(offset)
    offset += 2
    if (fields === -1) break
    const row: Field[] = []
    for (let field = 0; field < fields; field += 1) {
      const length = data.readInt32BE(offset)
      offset += 4
      if (length === -1) {
        row.push(null)
        continue
      }
      const bytes = data.subarray(offset, offset + length)
      offset += length
      const type = types[field]
      if (type === 'uuid') row.push(bytes.toString('hex'))
      else if (type === 'text') row.push(bytes.toString('utf8'))
      else if (type === 'int4') row.push(bytes.readInt32BE(0))
      else row.push(bytes.readDoubleBE(0))
    }
    rows.push(row)
  }
  t.equal(offset, data.length, 'nothing after the trailer')
  return rows
}

const runId = '6f1c9a52-3b7e-4a51-9d2e-2c1f0e8b7a10'

t.test('binaryCopyChunks', async (t) => {
  t.test('when rows have every type and NaN, then they decode to the same values', async (t) => {
    const columns: BinaryCopyColumn[] = [
      { type: 'uuid', value: runId },
      { type: 'text', values: ['BU05180101', 'Één ’s-Hertogenbosch'] },
      { type: 'int4', values: Int32Array.from([200, -3]) },
      { type: 'float8', values: Float64Array.from([0.1 + 0.2, Number.NaN]) },
      { type: 'int4', values: Float64Array.from([Number.NaN, 7]) },
    ]
    const data = Buffer.concat([...binaryCopyChunks(columns, 2)])
    t.same(
      decode(
        data,
        columns.map((column) => column.type),
      ),
      [
        [runId.replaceAll('-', ''), 'BU05180101', 200, 0.1 + 0.2, null],
        [runId.replaceAll('-', ''), 'Één ’s-Hertogenbosch', -3, null, 7],
      ],
    )
  })

  t.test('when there are no rows, then it is the header and the trailer alone', async (t) => {
    const data = Buffer.concat([...binaryCopyChunks([{ type: 'text', values: [] }], 0)])
    t.equal(data.length, 19 + 2)
    t.same(decode(data, ['text']), [])
  })

  t.test('when the data exceeds a chunk, then it comes in several and decodes whole', async (t) => {
    const length = 40_000
    const codes = Array.from({ length }, (_, index) => `BU${String(index).padStart(8, '0')}`)
    const risks = Float64Array.from({ length }, (_, index) => index / 7)
    const chunks = [
      ...binaryCopyChunks(
        [
          { type: 'text', values: codes },
          { type: 'float8', values: risks },
        ],
        length,
      ),
    ]
    t.ok(chunks.length > 1, `${chunks.length} chunks`)
    const rows = decode(Buffer.concat(chunks), ['text', 'float8'])
    t.equal(rows.length, length)
    t.same(rows[length - 1], [codes[length - 1], risks[length - 1]])
    t.ok(
      rows.every(([code, risk], index) => code === codes[index] && risk === risks[index]),
      'every row, bit for bit',
    )
  })

  t.test('when the uuid is not one, then it throws before writing', async (t) => {
    t.throws(() => [...binaryCopyChunks([{ type: 'uuid', value: 'run-1' }], 1)], {
      message: 'not a uuid: run-1',
    })
  })
})
