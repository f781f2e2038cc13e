import { locale } from './i18n.js'

/**
 * Number formatting in the current language, and the one rule for values under disclosure
 * control (DESIGN.md §5): a field listed in the row's `suppressed` is shown as suppressed, a
 * `null` that is not listed as "no data", never as 0.
 */

const formatters = new Map()
function formatter(options) {
  const key = `${locale()}|${JSON.stringify(options)}`
  let format = formatters.get(key)
  if (!format) {
    format = new Intl.NumberFormat(locale(), options)
    formatters.set(key, format)
  }
  return format
}

const finite = (value) => typeof value === 'number' && Number.isFinite(value)

/** A proportion (0–1) as a percentage: 0.0127 → "1,27%". */
export function percent(value, digits = 2) {
  if (!finite(value)) return ''
  return formatter({
    style: 'percent',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value)
}

/** A relative change as a signed percentage: 0.25 → "+25%". */
export function relative(value, digits = 0) {
  if (!finite(value)) return ''
  return formatter({
    style: 'percent',
    signDisplay: 'exceptZero',
    maximumFractionDigits: digits,
  }).format(value)
}

/** A difference of proportions in percentage points, signed: 0.0031 → "+0,31". */
export function points(value, digits = 2) {
  if (!finite(value)) return ''
  return formatter({
    signDisplay: 'exceptZero',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value * 100)
}

/** A plain number. */
export function number(value, digits = 0) {
  if (!finite(value)) return ''
  return formatter({ minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value)
}

/** A p-value: three decimals, "< 0,001" below that. */
export function pValue(value) {
  if (!finite(value)) return ''
  if (value < 0.001) return `< ${number(0.001, 3)}`
  return number(value, 3)
}

/** A date-time as a short local date and time. */
export function dateTime(value) {
  if (!value) return ''
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return String(value)
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(date)
}

/**
 * Whether a row's fields are suppressed, missing or present.
 * @param {Record<string, any> | null | undefined} row
 * @param {string[]} fields
 * @returns {'suppressed' | 'missing' | 'value'}
 */
export function stateOf(row, fields) {
  if (!row) return 'missing'
  const suppressed = Array.isArray(row.suppressed) ? row.suppressed : []
  if (fields.some((field) => suppressed.includes(field))) return 'suppressed'
  const absent = (value) =>
    value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value))
  if (fields.some((field) => absent(row[field]))) return 'missing'
  return 'value'
}
