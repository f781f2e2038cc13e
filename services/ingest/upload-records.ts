import type { Readable } from 'node:stream'
import { parse, CsvError } from 'csv-parse'

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

/**
 * Reads from a byte stream until the first line ends, then chooses `;` or `,` by which occurs
 * more often outside quotes in that header line (Dutch spreadsheets write `;`).
 */
async function detectDelimiter(
  source: AsyncIterator<Buffer>,
): Promise<{ delimiter: string; head: Buffer[]; done: boolean }> {
  const head: Buffer[] = []
  let text = ''
  for (;;) {
    const next = await source.next()
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

/** Streams CSV records through csv-parse; a parse failure ends the stream with an error record. */
export async function* csvUploadRecords(input: Readable): AsyncGenerator<UploadRecord> {
  const source = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const { delimiter, head, done } = await detectDelimiter(source)
  const parser = parse({
    bom: true,
    delimiter,
    relax_column_count: true,
    skip_empty_lines: false,
  })
  // Feed the parser from the remaining input while we consume its records.
  const feed = (async () => {
    try {
      for (const chunk of head) if (!parser.write(chunk)) await waitForDrain(parser)
      if (!done) {
        for (;;) {
          const next = await source.next()
          if (next.done) break
          if (!parser.write(next.value)) await waitForDrain(parser)
        }
      }
      parser.end()
    } catch (error) {
      parser.destroy(error as Error)
    }
  })()

  let recordNumber = 0
  let headerLength = 0
  try {
    for await (const fields of parser as AsyncIterable<string[]>) {
      recordNumber += 1
      if (fields.some((field) => field.includes(replacementCharacter))) {
        yield {
          kind: 'error',
          row: recordNumber,
          column: null,
          message: 'the record is not valid UTF-8 text',
        }
        if (recordNumber === 1) return
        continue
      }
      if (recordNumber === 1) {
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
    if (!(error instanceof CsvError)) throw error
    yield {
      kind: 'error',
      row: recordNumber + 1,
      column: null,
      message: `the CSV cannot be read here: ${csvMessage(error)}`,
    }
  } finally {
    // Stop the feed: after a parse error (or an early return) nobody reads the parser any more.
    if (!parser.destroyed) parser.destroy()
    await feed.catch(() => undefined)
  }
}

/** Waits for room in the parser, or for its end: a destroyed parser never drains. */
function waitForDrain(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done)
      stream.off('close', done)
      stream.off('error', done)
      resolve()
    }
    stream.once('drain', done)
    stream.once('close', done)
    stream.once('error', done)
  })
}

function csvMessage(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed'
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'a closing quote is followed by other characters'
    default:
      return error.message.replace(/^Invalid [A-Za-z ]+: /, '')
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
