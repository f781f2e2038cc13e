/**
 * The values of a snapshot (DESIGN.md §1): the youth population and the four counts, in the
 * order the tables, uploads and reads use. One list, so a query, a staging table and a panel read
 * cannot disagree about the columns.
 */
export const countColumns = [
  'early_school_leavers',
  'halt_registrations',
  'parental_debt',
  'drug_offence_suspects',
] as const

export type CountColumn = (typeof countColumns)[number]

export const snapshotValueColumns = ['youth_population', ...countColumns] as const

/** One quarter's values of an area; a NULL count was not delivered or was suppressed at source. */
export interface SnapshotValues {
  youth_population: number
  early_school_leavers: number | null
  halt_registrations: number | null
  parental_debt: number | null
  drug_offence_suspects: number | null
}
