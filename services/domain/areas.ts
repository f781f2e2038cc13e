/**
 * CBS area codes (DESIGN.md §1): municipality `GM0518`, district `WK051801`, neighbourhood
 * `BU05180101`. The level and every ancestor follow from the code alone.
 */
export type AreaLevel = 'municipality' | 'district' | 'neighbourhood'

export const areaCodePattern = /^(GM\d{4}|WK\d{6}|BU\d{8})$/

export function isAreaCode(code: string): boolean {
  return areaCodePattern.test(code)
}

export function areaLevel(code: string): AreaLevel {
  if (code.startsWith('BU')) return 'neighbourhood'
  if (code.startsWith('WK')) return 'district'
  return 'municipality'
}

/** `BU05180101` → `WK051801`, `WK051801` → `GM0518`, a municipality has no parent. */
export function parentCode(code: string): string | null {
  if (code.startsWith('BU')) return `WK${code.slice(2, 8)}`
  if (code.startsWith('WK')) return `GM${code.slice(2, 6)}`
  return null
}

export function municipalityCode(code: string): string {
  return `GM${code.slice(2, 6)}`
}

/** The code and its ancestors, the municipality first. */
export function withAncestors(code: string): string[] {
  const chain = [code]
  for (let parent = parentCode(code); parent !== null; parent = parentCode(parent))
    chain.unshift(parent)
  return chain
}
