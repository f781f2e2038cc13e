import area from '@turf/area'
import bbox from '@turf/bbox'
import { feature, featureCollection } from '@turf/helpers'
import intersect from '@turf/intersect'
import type { MultiPolygon, Polygon } from 'geojson'
import type { AreaLink } from './crosswalk.js'

/**
 * Links between two CBS divisions derived from their boundaries (issue 16,
 * `POST /v1/area-links/derive`): the share of an old area's counts that a new area holds is
 * taken as the share of the old area's surface that lies in it — areal weighting, the simplest
 * areal interpolation (Goodchild & Lam 1980), which assumes the young people are spread
 * evenly over the old area. Where CBS publishes address shares (its "wijk- en buurtsleutel"),
 * an uploaded link table is better; this is for when there is none.
 *
 * Boundaries are generalised differently from year to year (Den Haag's 114 buurten keep their
 * codes 2015→2022 while their drawn polygons overlap by a median of 91 %), so:
 * - a code present in both divisions whose two polygons are each other's largest overlap is
 *   linked to itself with weight 1 (unchanged, not apportioned);
 * - otherwise shares below `minimumShare` (slivers along redrawn lines) are dropped and the rest
 *   scaled to sum to 1.
 * Surfaces are geodesic (turf `area`, square metres on the WGS84 sphere); intersections by
 * turf `intersect` (polyclip-ts), both maintained libraries: no hand-written clipping.
 */

export interface DivisionArea {
  code: string
  geometry: Polygon | MultiPolygon
}

export interface OverlapLinkOptions {
  /** shares of an old area below this are slivers, dropped before scaling; default 0.02 */
  minimumShare?: number
}

export interface DerivedLinks {
  links: AreaLink[]
  /** old areas that overlap no new area (outside the new division's boundaries) */
  unmatched: string[]
}

type Box = [number, number, number, number]

const boxesOverlap = (a: Box, b: Box) =>
  a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]

/** Candidate pairs by bounding box in a coarse grid, so a national derivation is not n². */
function candidatesOf(from: readonly { box: Box }[], to: readonly { box: Box }[]): number[][] {
  const cell = 0.05 // degrees: a few km, about a district
  const grid = new Map<string, number[]>()
  const keysOf = (box: Box) => {
    const keys: string[] = []
    for (let x = Math.floor(box[0] / cell); x <= Math.floor(box[2] / cell); x += 1) {
      for (let y = Math.floor(box[1] / cell); y <= Math.floor(box[3] / cell); y += 1) {
        keys.push(`${x}|${y}`)
      }
    }
    return keys
  }
  to.forEach((entry, index) => {
    for (const key of keysOf(entry.box)) {
      const members = grid.get(key)
      if (members) members.push(index)
      else grid.set(key, [index])
    }
  })
  return from.map((entry) => {
    const found = new Set<number>()
    for (const key of keysOf(entry.box)) {
      for (const index of grid.get(key) ?? []) {
        if (boxesOverlap(entry.box, to[index].box)) found.add(index)
      }
    }
    return [...found].sort((a, b) => a - b)
  })
}

export function overlapLinks(
  from: { year: number; areas: readonly DivisionArea[] },
  to: { year: number; areas: readonly DivisionArea[] },
  options: OverlapLinkOptions = {},
): DerivedLinks {
  if (!(to.year > from.year)) {
    throw new RangeError(`overlapLinks requires a later division: ${from.year} → ${to.year}`)
  }
  const minimumShare = options.minimumShare ?? 0.02
  const prepare = (areas: readonly DivisionArea[]) =>
    areas.map((entry) => {
      const shape = feature(entry.geometry)
      return { code: entry.code, shape, box: bbox(shape) as Box, surface: area(shape) }
    })
  const olds = prepare(from.areas)
  const news = prepare(to.areas)
  const candidates = candidatesOf(olds, news)

  // overlap[i] = surfaces shared by old area i with each new area j
  const overlaps = olds.map((old, i) => {
    const shared = new Map<number, number>()
    for (const j of candidates[i]) {
      const common = intersect(featureCollection([old.shape, news[j].shape]))
      const surface = common ? area(common) : 0
      if (surface > 0) shared.set(j, surface)
    }
    return shared
  })
  // for the self-link rule: each new area's largest old overlap
  const largestOldOf = new Map<number, { i: number; surface: number }>()
  overlaps.forEach((shared, i) => {
    for (const [j, surface] of shared) {
      const best = largestOldOf.get(j)
      if (!best || surface > best.surface) largestOldOf.set(j, { i, surface })
    }
  })

  const links: AreaLink[] = []
  const unmatched: string[] = []
  overlaps.forEach((shared, i) => {
    const old = olds[i]
    if (shared.size === 0 || !(old.surface > 0)) {
      unmatched.push(old.code)
      return
    }
    const ranked = [...shared].sort((a, b) => b[1] - a[1])
    const [largest] = ranked[0]
    if (news[largest].code === old.code && largestOldOf.get(largest)?.i === i) {
      links.push({
        from_year: from.year,
        from_code: old.code,
        to_year: to.year,
        to_code: old.code,
        weight: 1,
      })
      return
    }
    const kept = ranked.filter(([, surface]) => surface / old.surface >= minimumShare)
    const pieces = kept.length > 0 ? kept : [ranked[0]]
    const total = pieces.reduce((sum, [, surface]) => sum + surface, 0)
    for (const [j, surface] of pieces.sort((a, b) =>
      news[a[0]].code < news[b[0]].code ? -1 : 1,
    )) {
      links.push({
        from_year: from.year,
        from_code: old.code,
        to_year: to.year,
        to_code: news[j].code,
        weight: surface / total,
      })
    }
  })
  return { links, unmatched }
}
