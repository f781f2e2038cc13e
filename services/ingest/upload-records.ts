import type { Readable } from 'node:stream'
import { isAscii, isUtf8 } from 'node:buffer'
import { parse, CsvError, type Parser } from 'csv-parse'
import { AppError } from '../errors.js'

/**
 * Turns an upload (a CSV byte stream or a parsed JSON body) into records for the validator.
 * Record numbers are the ones a person sees: the CSV header is row 1 and the first data row is
 * row 2 (a quoted multi-line cell stays one row, as in a spreadsheet); a JSON element's row is its
 * index + 1.
 */
export type UploadRecord =
  | { kind: 'header'; names: string[] }
  | { kind: 'row'; row: number; values: Record<string, unknown> }
  | { kind: 'fields'; row: number; fields: string[] }
  | { kind: 'error'; row: number; column: string | null; message: string }

/** U+FFFD is what the decoder leaves where the bytes were not valid UTF-8. */
const replacementCharacter = '\uFFFD'

/** Reads the next chunk of the upload; rejects when none comes in time (see `csvUploadRecords`). */
type ReadChunk = () => Promise<IteratorResult<Buffer>>

/**
 * The character sets a CSV upload may come in. UTF-8 is the contract (DESIGN.md §1);
 * Windows-1252 is what Dutch Excel writes for "CSV (gescheiden door lijstscheidingsteken)", and
 * is decoded only when the caller says so (`?charset=windows-1252`): guessing it would store a
 * UTF-8 file with one stray byte as garbled names.
 */
export const uploadCharsets = ['utf-8', 'windows-1252'] as const
export type UploadCharset = (typeof uploadCharsets)[number]

export interface CsvUploadOptions {
  /** The bytes' character set; default UTF-8. */
  charset?: UploadCharset
  /**
   * The longest wait, in ms, for the next bytes of the input while the parser wants them; a body
   * that stalls longer ends the records with a 408 `request_timeout` error. Unset (files, the
   * CLI): no limit.
   */
  idleMs?: number
}

/** A chunk reader over `source` that gives up after `idleMs` without a byte. */
function chunkReader(source: AsyncIterator<Buffer>, idleMs: number | undefined): ReadChunk {
  if (idleMs === undefined) return () => source.next()
  return async () => {
    let timer: NodeJS.Timeout | undefined
    const idle = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AppError(
              408,
              'request_timeout',
              `the upload sent nothing for ${idleMs} ms (AANWAS_UPLOAD_IDLE_MS); nothing was stored`,
            ),
          ),
        idleMs,
      )
    })
    try {
      // The read left behind on a timeout settles when the caller destroys the input.
      return await Promise.race([source.next(), idle])
    } finally {
      clearTimeout(timer)
    }
  }
}

/**
 * A chunk reader that decodes Windows-1252 and hands on UTF-8, so everything after it (the
 * delimiter sniffing, csv-parse) reads UTF-8 as always. Chunk by chunk, so the upload stays a
 * stream: Windows-1252 has one byte per character, and the decoder's `stream` mode would carry
 * a split sequence over in any case. `sawUtf8` turns true when a chunk with bytes above 127 is
 * valid UTF-8 as it stands: such a file most likely is UTF-8 already, which the records then
 * check for (see `misdecodedUtf8`).
 */
function windows1252Reader(read: ReadChunk): { read: ReadChunk; sawUtf8: () => boolean } {
  const decoder = new TextDecoder('windows-1252')
  let sawUtf8 = false
  return {
    sawUtf8: () => sawUtf8,
    read: async () => {
      const next = await read()
      if (next.done) return next
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value)
      if (!sawUtf8 && isUtf8(chunk) && !isAscii(chunk)) sawUtf8 = true
      return { done: false, value: Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8') }
    },
  }
}

/**
 * UTF-8 read as Windows-1252 leaves two or three characters per letter: `ë` becomes `Ã«`, `’`
 * becomes `â€™`. Seen in a record while the bytes were valid UTF-8, it means the charset
 * parameter was wrong, and storing on would garble every accented name.
 */
const misdecodedUtf8 =
  /[ÂÃ][\u0080-\u00BF\u0152\u0153\u0160\u0161\u0178\u017D\u017E\u0192\u02C6\u02DC\u2013-\u2122]|â€/

/**
 * Whether a record that is not valid UTF-8 reads like Windows-1252 text: each accented letter
 * of a single-byte encoding leaves one replacement character between ordinary text, while a
 * binary file leaves runs of them and control characters. Only run on a failing record.
 */
function looksSingleByte(fields: readonly string[]): boolean {
  let replaced = 0
  let other = 0
  for (const field of fields) {
    if (field.includes(replacementCharacter + replacementCharacter + replacementCharacter))
      return false
    for (const character of field) {
      const code = character.charCodeAt(0)
      // control characters other than tab do not occur in a spreadsheet's cells (a line break
      // only in a quoted multi-line cell, which then goes without the hint)
      if ((code < 0x20 && code !== 0x09) || code === 0x7f) return false
      if (character === replacementCharacter) replaced += 1
      else other += 1
    }
  }
  return replaced > 0 && replaced * 4 <= other
}

/** The error of a record that is not UTF-8, with the column it is in and the way out. */
function notUtf8Message(fields: readonly string[], header: readonly string[] | undefined): string {
  const position = fields.findIndex((field) => field.includes(replacementCharacter))
  const where =
    header && header[position] !== undefined
      ? ` (column "${header[position]}": ${JSON.stringify(fields[position].slice(0, 40))})`
      : ''
  if (!looksSingleByte(fields)) return `the record is not valid UTF-8 text${where}`
  return (
    `the record is not valid UTF-8 text${where}: the file looks saved as Windows-1252, as Excel's ` +
    '"CSV (comma delimited)" does; save it as "CSV UTF-8 (comma delimited)", or upload it ' +
    'with ?charset=windows-1252 (aanwas import --charset windows-1252)'
  )
}

/**
 * Reads until the first line ends, then chooses `;` or `,` by which occurs more often outside
 * quotes in that header line (Dutch spreadsheets write `;`).
 */
async function detectDelimiter(
  read: ReadChunk,
): Promise<{ delimiter: string; head: Buffer[]; done: boolean }> {
  const head: Buffer[] = []
  let text = ''
  for (;;) {
    const next = await read()
    if (next.done) return { delimiter: chooseDelimiter(text), head, done: true }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value)
    head.push(chunk)
    text += chunk.toString('utf8')
    const newline = text.search(/[\r\n]/)
    if (newline >= 0)
      return { delimiter: chooseDelimiter(text.slice(0, newline)), head, done: false }
    if (text.length > 65_536) return { delimiter: chooseDelimiter(text), head, done: false }
  }
}

function chooseDelimiter(headerLine: string): string {
  let commas = 0
  let semicolons = 0
  let quoted = false
  for (const character of headerLine) {
    if (character === '"') quoted = !quoted
    else if (!quoted && character === ',') commas += 1
    else if (!quoted && character === ';') semicolons += 1
  }
  return semicolons > commas ? ';' : ','
}

/**
 * Writes the input into the parser while the records are consumed. It stops as soon as the
 * parser is destroyed (the consumer stopped) or `halted` says so (a fatal parse error): a
 * destroyed parser never drains, and writing on into it is what once kept an upload's COPY open
 * for good. Never throws: a read failure (body too large, idle, client gone) destroys the
 * parser with that error, so the consumer sees it at its next record.
 */
async function feedParser(
  parser: Parser,
  head: readonly Buffer[],
  read: ReadChunk | undefined,
  halted: () => boolean,
): Promise<void> {
  const stopped = () => parser.destroyed || halted()
  try {
    for (const chunk of head) {
      if (stopped()) break
      if (!parser.write(chunk)) await roomIn(parser)
    }
    while (read && !stopped()) {
      const next = await read()
      if (next.done || stopped()) break
      if (!parser.write(next.value)) await roomIn(parser)
    }
    // Ending (not destroying) keeps the records parsed before a fatal error readable.
    if (!parser.destroyed) parser.end()
  } catch (error) {
    if (!parser.destroyed) parser.destroy(error as Error)
  }
}

/**
 * Streams CSV records through csv-parse. The first parse error ends the records with one error
 * record at the record that failed (row 1 when the header cannot be read), after every record
 * before it; nothing after it is read. Ending early (that error, or the consumer stops
 * iterating) destroys `input`, so whatever the client still sends is not waited for.
 */
export async function* csvUploadRecords(
  input: Readable,
  options: CsvUploadOptions = {},
): AsyncGenerator<UploadRecord> {
  const bytes = chunkReader(input[Symbol.asyncIterator]() as AsyncIterator<Buffer>, options.idleMs)
  const decoded = options.charset === 'windows-1252' ? windows1252Reader(bytes) : undefined
  const read = decoded ? decoded.read : bytes
  let parser: Parser | undefined
  let feed: Promise<void> | undefined
  /** The first parse error and the record it is in. */
  let fatal: { row: number; error: CsvError } | undefined
  let recordNumber = 0
  let headerLength = 0
  let header: string[] | undefined
  try {
    const { delimiter, head, done } = await detectDelimiter(read)
    parser = parse({
      bom: true,
      delimiter,
      relax_column_count: true,
      skip_empty_lines: false,
      // A parse error is taken as a skip, not a stream failure: a failing stream drops the
      // records parsed but not yet read, so which rows got checked would depend on timing.
      skip_records_with_error: true,
    })
    parser.on('skip', (error: CsvError) => {
      fatal ??= { row: recordsBefore(error, recordNumber) + 1, error }
    })
    feed = feedParser(parser, head, done ? undefined : read, () => fatal !== undefined)
    for await (const fields of parser as AsyncIterable<string[]>) {
      // Records parsed after the error are not records of the file.
      if (fatal && recordNumber + 1 >= fatal.row) break
      recordNumber += 1
      if (fields.some((field) => field.includes(replacementCharacter))) {
        yield {
          kind: 'error',
          row: recordNumber,
          column: null,
          message: notUtf8Message(fields, header),
        }
        // Without a readable header no later record means anything: stop reading here.
        if (recordNumber === 1) return
        continue
      }
      if (decoded?.sawUtf8() && fields.some((field) => misdecodedUtf8.test(field))) {
        const position = fields.findIndex((field) => misdecodedUtf8.test(field))
        const column = header?.[position] ?? null
        yield {
          kind: 'error',
          row: recordNumber,
          column,
          message:
            `the file is UTF-8 text already, read as Windows-1252 it becomes ` +
            `${JSON.stringify(fields[position].slice(0, 40))}: upload it without ?charset=windows-1252`,
        }
        // Every later accented name would be garbled the same way: one error says it.
        return
      }
      if (recordNumber === 1) {
        header = fields
        headerLength = fields.length
        yield { kind: 'header', names: fields }
        continue
      }
      // A blank line is not a data row, but it keeps its place in the numbering.
      if (fields.length === 1 && fields[0].trim() === '') continue
      if (fields.length !== headerLength) {
        yield {
          kind: 'error',
          row: recordNumber,
          column: null,
          message: `the record has ${fields.length} fields where the header has ${headerLength}`,
        }
        continue
      }
      yield { kind: 'fields', row: recordNumber, fields }
    }
  } catch (error) {
    // An error csv-parse cannot skip still fails the stream.
    if (!(error instanceof CsvError)) throw error
    fatal ??= { row: recordsBefore(error, recordNumber) + 1, error }
  } finally {
    // After a parse error, a timeout or an early return nobody reads the parser any more: stop
    // it, then stop the input so a read still waiting for the client settles at once.
    if (parser && !parser.destroyed) parser.destroy()
    if (!input.readableEnded && !input.destroyed) input.destroy()
    await feed
  }
  if (fatal) {
    yield {
      kind: 'error',
      row: fatal.row,
      column: null,
      message: `the CSV cannot be read here: ${csvMessage(fatal.error)}`,
    }
  }
}

/** Records csv-parse completed before an error (the header counts), else what was read. */
function recordsBefore(error: CsvError, recordsRead: number): number {
  const records: unknown = (error as { records?: unknown }).records
  return typeof records === 'number' && Number.isInteger(records) ? records : recordsRead
}

/** Waits until the parser can take more, or is destroyed (it then never drains). */
function roomIn(parser: Parser): Promise<void> {
  if (parser.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      parser.off('drain', done)
      parser.off('close', done)
      resolve()
    }
    parser.once('drain', done)
    // 'close' follows every destroy, with or without an error.
    parser.once('close', done)
  })
}

function csvMessage(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed'
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'a closing quote is followed by other characters'
    case 'INVALID_OPENING_QUOTE':
      return 'a quote appears inside a field that did not start with one'
    default:
      // csv-parse ends some messages with the offending value: for a binary body that is
      // garbage echoed back, so it is cut off.
      return error.message.replace(/^Invalid [A-Za-z ]+: /, '').replace(/, value is .*$/s, '')
  }
}

/** JSON uploads: an array of objects whose keys are column names (case-insensitive). */
export function* jsonUploadRecords(body: unknown): Generator<UploadRecord> {
  if (!Array.isArray(body)) {
    yield {
      kind: 'error',
      row: 1,
      column: null,
      message: 'a JSON upload must be an array of snapshot rows',
    }
    return
  }
  if (body.length === 0) return
  const first = body[0]
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    yield { kind: 'header', names: Object.keys(first) }
  } else {
    yield { kind: 'header', names: [] }
  }
  for (let index = 0; index < body.length; index += 1) {
    const element: unknown = body[index]
    if (element === null || typeof element !== 'object' || Array.isArray(element)) {
      yield {
        kind: 'error',
        row: index + 1,
        column: null,
        message: 'each element must be an object of column values',
      }
      continue
    }
    yield { kind: 'row', row: index + 1, values: element as Record<string, unknown> }
  }
}
