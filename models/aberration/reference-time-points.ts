/**
 * Reference time points and baseline window of the Farrington aberration detector: which past
 * quarters a quarter is compared with.
 *
 * For the quarter at index k (0-based) of a series with `frequency` periods a year, the reference
 * time points are k, k − frequency, …, k − b·frequency: the same quarter in each of the b previous
 * years (k itself first, as R returns them). The baseline window is the union of the windows of
 * ± w periods around each past reference point, i + j for i = k − y·frequency (y = 1…b) and
 * j = −w…w, minus the most recent `pastPeriodsNotIncluded` periods before k and k itself
 * (k − pastPeriodsNotIncluded … k). R also marks k − w … k as part of the current block and then
 * removes k − pastPeriodsNotIncluded … k from it, so a `pastPeriodsNotIncluded` smaller than w
 * lets k − w … k − pastPeriodsNotIncluded − 1 into the baseline; this function does the same.
 * With b = 5, w = 1 and the default pastPeriodsNotIncluded = w, the window holds
 * b·(2w + 1) = 15 quarters.
 *
 * Symbols: k → `index`, b → `b` (years back), w → `w` (half width in periods), freq →
 * `frequency`.
 *
 * Variant: the non-date epoch of R (`epochAsDate = FALSE`), where a year back is exactly
 * `frequency` periods; that is the quarterly case (README "Quarterly note": w counts quarters).
 * Unlike R, a window that would reach k or beyond (w ≥ frequency) is refused instead of silently
 * using the future.
 *
 * Reference: Farrington, Andrews, Beale & Catchpole (1996), A statistical algorithm for the
 * early detection of outbreaks of infectious disease, JRSS A 159(3), 547–563, §3.1; Noufaily et
 * al. (2013), An improved algorithm for outbreak detection in multiple surveillance systems,
 * Stat Med 32(7), 1206–1222. Software matched: R surveillance 1.26 (checked on 1.20.3)
 * `algo.farrington.referencetimepoints(k, b, freq, epochAsDate = FALSE)` and the `blocks()` /
 * `algo.farrington.data.glm()` window of `farringtonFlexible(…, noPeriods = 1)`.
 *
 * @param index k, the 0-based index of the quarter under evaluation
 * @param options `b` years back (positive whole number), `frequency` periods a year (positive
 *   whole number), `w` half width of each window (whole number below `frequency`, default 0),
 *   `pastPeriodsNotIncluded` (whole number, default `w`)
 * @returns `points`: k, k − frequency, …, k − b·frequency; `window`: the baseline indices in
 *   ascending order
 * @throws RangeError when an argument breaks its rule or the window starts before index 0
 */
export interface ReferenceTimePointsOptions {
  readonly b: number
  readonly frequency: number
  readonly w?: number
  readonly pastPeriodsNotIncluded?: number
}

export interface ReferenceTimePoints {
  /** k, k − frequency, …, k − b·frequency (b + 1 values, newest first). */
  readonly points: number[]
  /** The baseline indices, ascending, without k and the excluded recent periods. */
  readonly window: number[]
}

function requireWholeNumber(value: number, name: string, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new RangeError(
      `referenceTimePoints requires ${name} to be a whole number of at least ${minimum}, got ${value}`,
    )
  }
}

export function referenceTimePoints(
  index: number,
  options: ReferenceTimePointsOptions,
): ReferenceTimePoints {
  const { b, frequency } = options
  const w = options.w ?? 0
  const pastPeriodsNotIncluded = options.pastPeriodsNotIncluded ?? w
  requireWholeNumber(index, 'index', 0)
  requireWholeNumber(b, 'b', 1)
  requireWholeNumber(frequency, 'frequency', 1)
  requireWholeNumber(w, 'w', 0)
  requireWholeNumber(pastPeriodsNotIncluded, 'pastPeriodsNotIncluded', 0)
  if (w >= frequency) {
    throw new RangeError(
      `referenceTimePoints requires w below frequency (${frequency}), got ${w}; a wider window reaches the quarter under evaluation`,
    )
  }
  const earliest = index - b * frequency - w
  if (earliest < 0) {
    throw new RangeError(
      `referenceTimePoints requires index ≥ b × frequency + w (${b * frequency + w}), got ${index}; decrease b or evaluate a later quarter`,
    )
  }
  const points: number[] = []
  for (let year = 0; year <= b; year += 1) points.push(index - year * frequency)

  // Mark the window in a small mask over earliest…index, then read it back in order.
  const span = index - earliest + 1
  const inWindow = new Uint8Array(span)
  for (let offset = index - w; offset <= index; offset += 1) inWindow[offset - earliest] = 1
  for (let year = 1; year <= b; year += 1) {
    const centre = index - year * frequency
    for (let offset = centre - w; offset <= centre + w; offset += 1) inWindow[offset - earliest] = 1
  }
  for (
    let offset = Math.max(earliest, index - pastPeriodsNotIncluded);
    offset <= index;
    offset += 1
  ) {
    inWindow[offset - earliest] = 0
  }
  const window: number[] = []
  for (let position = 0; position < span; position += 1) {
    if (inWindow[position] === 1) window.push(earliest + position)
  }
  return { points, window }
}
