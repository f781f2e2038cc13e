/** Builders for upload fixtures: CSV text and JSON rows. */
export const fullHeader =
  'area_code,area_name,period,youth_population,early_school_leavers,halt_registrations,parental_debt,drug_offence_suspects'

/** CSV text from a header and rows, newline-terminated. */
export function csv(header: string, ...rows: string[]): string {
  return [header, ...rows].join('\n') + '\n'
}

export interface SnapshotFixture {
  area_code: string
  area_name?: string | null
  period: string
  youth_population: number | string | null
  early_school_leavers: number | string | null
  halt_registrations: number | string | null
  parental_debt: number | string | null
  drug_offence_suspects: number | string | null
}

export function snapshotRow(overrides: Partial<SnapshotFixture> = {}): SnapshotFixture {
  return {
    area_code: 'BU05180101',
    area_name: 'Centrum',
    period: '2024Q3',
    youth_population: 200,
    early_school_leavers: 12,
    halt_registrations: 8,
    parental_debt: 20,
    drug_offence_suspects: 3,
    ...overrides,
  }
}

export function toCsvLine(row: SnapshotFixture): string {
  const cell = (value: unknown) => {
    if (value === null || value === undefined) return ''
    const text = String(value)
    return /[",\n;]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
  }
  return [
    row.area_code,
    row.area_name,
    row.period,
    row.youth_population,
    row.early_school_leavers,
    row.halt_registrations,
    row.parental_debt,
    row.drug_offence_suspects,
  ]
    .map(cell)
    .join(',')
}

export function csvOf(rows: readonly SnapshotFixture[]): string {
  return csv(fullHeader, ...rows.map(toCsvLine))
}
