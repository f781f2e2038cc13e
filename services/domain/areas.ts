import { areaCodePatternSource } from '../../models/vocabulary/area-codes.js'

/**
 * CBS area codes (DESIGN.md §1): municipality `GM0518`, district `WK051801` or `WK0363AF`,
 * neighbourhood `BU05180101` or `BU0363AF09` (models/vocabulary/area-codes.ts). The level and
 * every ancestor follow from the code alone: a parent is a prefix of its children's codes.
 */
export type AreaLevel = 'municipality' | 'district' | 'neighbourhood'

export const areaCodePattern = new RegExp(areaCodePatternSource)

export function isAreaCode(code: string): boolean {
  return areaCodePattern.test(code)
}

export function areaLevel(code: string): AreaLevel {
  if (code.startsWith('BU')) return 'neighbourhood'
  if (code.startsWith('WK')) return 'district'
  return 'municipality'
}

/** `BU0363AF09` → `WK0363AF`, `WK0363AF` → `GM0363`, a municipality has no parent. */
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
