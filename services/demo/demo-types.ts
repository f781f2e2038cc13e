/** One demo snapshot row, in the upload's JSON shape. */
export interface SnapshotFixtureRow {
  area_code: string
  area_name: string
  period: string
  youth_population: number
  early_school_leavers: number | null
  halt_registrations: number | null
  parental_debt: number | null
  drug_offence_suspects: number | null
}
