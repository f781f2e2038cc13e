/* global document, Blob, URL, setTimeout */
/**
 * CSV export of the tables. The values are the ones the page shows, which the API has already
 * put through disclosure control for the key in use; a suppressed cell is written as the word
 * (never 0), a missing one as empty.
 *
 * Formula injection (OWASP "CSV Injection"): a text cell starting with `=`, `+`, `-`, `@`, a tab
 * or a carriage return would be run as a formula by a spreadsheet, so it gets a leading `'`.
 * Numbers the page itself computed are written as plain numbers (a negative number is no formula).
 */

const formulaStart = /^[=+\-@\t\r]/

/** One cell, escaped for formulas and quoted when needed. */
export function csvCell(value) {
  if (value === null || value === undefined) return ''
  let text
  if (typeof value === 'number') {
    text = Number.isFinite(value) ? String(value) : ''
  } else {
    text = String(value)
    if (formulaStart.test(text)) text = `'${text}`
  }
  return /[",;\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/**
 * A CSV document: a header row, then one line per row, CRLF line ends (RFC 4180).
 * @param {string[]} header
 * @param {unknown[][]} rows
 */
export function toCsv(header, rows) {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n'
}

/** Offers `text` as a file download (UTF-8 with BOM so spreadsheets read accents right). */
export function download(fileName, text) {
  const blob = new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' })
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.hidden = true
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
