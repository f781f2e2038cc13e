import { stringify } from 'csv-stringify/sync'

/** The parts of a JSON schema (as TypeBox builds them) that decide a list's CSV columns. */
export interface SchemaNode {
  type?: unknown
  properties?: Record<string, SchemaNode>
  anyOf?: SchemaNode[]
  items?: SchemaNode
}

/** The object schema of a node, looking inside a nullable union (`anyOf [object, null]`). */
function objectOf(schema: SchemaNode | undefined): SchemaNode | undefined {
  if (!schema) return undefined
  if (schema.properties) return schema
  for (const option of schema.anyOf ?? []) {
    const found = objectOf(option)
    if (found) return found
  }
  return undefined
}

/**
 * The CSV columns of a list answer `{items: [...], total}`, read from its response schema: one
 * column per scalar field in the schema's order, nested objects flattened with dotted names
 * (`predictors.halt.rate`), arrays kept whole as JSON text. `undefined` when the schema is not a
 * list of objects. Reading the schema, not the data, keeps the header stable (an empty list
 * still has one) and the order the documented one.
 */
export function listCsvColumns(responseSchema: SchemaNode | undefined): string[] | undefined {
  const item = objectOf(objectOf(responseSchema)?.properties?.items?.items)
  if (!item) return undefined
  const columns: string[] = []
  const walk = (node: SchemaNode, prefix: string) => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const nested = objectOf(child)
      if (nested) walk(nested, `${prefix}${name}.`)
      else columns.push(`${prefix}${name}`)
    }
  }
  walk(item, '')
  return columns
}

function valueAt(item: unknown, column: string): unknown {
  let value: unknown = item
  for (const key of column.split('.')) {
    if (value === null || typeof value !== 'object') return null
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/**
 * Items as CSV text (RFC 4180, comma-separated, a header row, `\r\n` line ends), through
 * csv-stringify with its formula escaping: a text cell starting with `=`, `+`, `-`, `@`, a tab
 * or a carriage return gets a leading `'`, so a spreadsheet shows a name like `=cmd|' /C calc'!A0`
 * instead of running it (OWASP, "CSV Injection"); a cell with any line break is quoted, so no
 * line of the file starts inside a cell. Negative numbers stay numbers. NULL and absent
 * values are empty cells; booleans are `true`/`false`; arrays and objects are JSON text.
 */
export function itemsToCsv(items: readonly unknown[], columns: readonly string[]): string {
  const records = items.map((item) =>
    columns.map((column) => {
      const value = valueAt(item, column)
      if (value === null || value === undefined) return null
      if (typeof value === 'boolean') return value ? 'true' : 'false'
      if (typeof value === 'object') return JSON.stringify(value)
      return value
    }),
  )
  return stringify(records, {
    header: true,
    columns: [...columns],
    record_delimiter: 'windows',
    escape_formulas: true,
    // csv-stringify quotes a cell holding the record delimiter (\r\n), not a lone \n or \r,
    // which every reader takes as a line end: `x\n=1+1` left a line starting with `=` (issue
    // 14, finding 6). Any line break in a cell quotes it.
    quoted_match: /[\r\n]/,
  })
}
