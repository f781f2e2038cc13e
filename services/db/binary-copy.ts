/**
 * PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html, "Binary
 * Format") for column-oriented data: a uuid as 16 bytes, text as UTF-8, int4 and float8
 * big-endian, NaN of a numeric column as NULL. Used for the risk scores of a run (hundreds of
 * thousands of rows), where text COPY spent most of its time turning doubles into text and back;
 * binary sends each double bit for bit.
 */

/** One column of the rows to send, in the table's column order. */
export type BinaryCopyColumn =
  /** The same uuid in every row (a run's id). */
  | { type: 'uuid'; value: string }
  | { type: 'text'; values: readonly string[] }
  /** NaN is sent as NULL. */
  | { type: 'int4' | 'float8'; values: Float64Array | Int32Array }

/** The stream's signature, flags (0) and header extension length (0). */
const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)])

/**
 * `length` rows of `columns` as binary COPY data in chunks of about 256 KB: per row a field
 * count, then per column its byte length (−1: NULL) and value, read straight from the columns;
 * no per-row object, and each distinct text encoded once.
 */
export function* binaryCopyChunks(
  columns: readonly BinaryCopyColumn[],
  length: number,
): Generator<Buffer> {
  const chunkSize = 1 << 18
  const encodedTexts = new Map<string, Buffer>()
  const encodedText = (text: string): Buffer => {
    let bytes = encodedTexts.get(text)
    if (bytes === undefined) {
      bytes = Buffer.from(text, 'utf8')
      encodedTexts.set(text, bytes)
    }
    return bytes
  }
  const uuids = columns.map((column) => {
    if (column.type !== 'uuid') return undefined
    const bytes = Buffer.from(column.value.replaceAll('-', ''), 'hex')
    if (bytes.length !== 16) throw new TypeError(`not a uuid: ${column.value}`)
    return bytes
  })
  const fixedBytes =
    2 +
    columns.reduce(
      (sum, column) => sum + 4 + (column.type === 'text' ? 0 : column.type === 'uuid' ? 16 : 8),
      0,
    )
  const texts: Buffer[] = []
  let chunk = Buffer.allocUnsafe(chunkSize)
  let view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  header.copy(chunk, 0)
  let offset = header.length
  for (let index = 0; index <= length; index += 1) {
    let rowBytes = 2
    if (index < length) {
      texts.length = 0
      rowBytes = fixedBytes
      for (const column of columns) {
        if (column.type !== 'text') continue
        const bytes = encodedText(column.values[index])
        texts.push(bytes)
        rowBytes += bytes.length
      }
    }
    if (offset + rowBytes > chunk.length) {
      yield chunk.subarray(0, offset)
      chunk = Buffer.allocUnsafe(Math.max(chunkSize, rowBytes))
      view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      offset = 0
    }
    if (index === length) {
      view.setInt16(offset, -1) // the trailer
      offset += 2
      break
    }
    view.setInt16(offset, columns.length)
    offset += 2
    let text = 0
    for (let c = 0; c < columns.length; c += 1) {
      const column = columns[c]
      if (column.type === 'uuid') {
        view.setInt32(offset, 16)
        uuids[c]!.copy(chunk, offset + 4)
        offset += 20
      } else if (column.type === 'text') {
        const bytes = texts[text++]
        view.setInt32(offset, bytes.length)
        bytes.copy(chunk, offset + 4)
        offset += 4 + bytes.length
      } else {
        const value = column.values[index]
        if (Number.isNaN(value)) {
          view.setInt32(offset, -1)
          offset += 4
        } else if (column.type === 'int4') {
          view.setInt32(offset, 4)
          view.setInt32(offset + 4, value)
          offset += 8
        } else {
          view.setInt32(offset, 8)
          view.setFloat64(offset + 4, value)
          offset += 12
        }
      }
    }
  }
  yield chunk.subarray(0, offset)
}
