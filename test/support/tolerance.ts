/**
 * Tolerances for comparing computed statistics with published values (STYLE.md: one documented
 * function, never an inline epsilon).
 *
 * Relative error |actual − expected| / |expected| is scale-free; at expected = 0 it is undefined,
 * so there the absolute error is used instead (as simple-statistics' `relativeError` documents).
 */
export function relativeError(actual: number, expected: number): number {
  if (expected === 0) return Math.abs(actual)
  return Math.abs(actual - expected) / Math.abs(expected)
}

/** Half a unit in the last printed place: a value printed with k decimals is exact to 0.5·10^-k. */
export function printedTolerance(decimals: number): number {
  return 0.5 * 10 ** -decimals
}

/** The number of decimals a published value was printed with (`0.0256` → 4). */
export function decimalsOf(printed: string): number {
  const match = /\.(\d+)/.exec(printed)
  return match ? match[1].length : 0
}

/** True when `actual` is within `tolerance` of `expected`, absolutely. */
export function withinAbsolute(actual: number, expected: number, tolerance: number): boolean {
  return Number.isFinite(actual) && Math.abs(actual - expected) <= tolerance
}

/** True when `actual` is within `tolerance` of `expected`, relatively (absolute at 0). */
export function withinRelative(actual: number, expected: number, tolerance: number): boolean {
  return Number.isFinite(actual) && relativeError(actual, expected) <= tolerance
}

/** Assertion message showing both numbers and the gap, for tap's `t.ok`. */
export function describeGap(actual: number, expected: number): string {
  return `got ${actual}, expected ${expected} (absolute gap ${Math.abs(actual - expected)}, relative ${relativeError(actual, expected)})`
}
