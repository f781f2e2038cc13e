import { forbidden } from '../errors.js'
import type { Caller } from '../hooks/auth.js'
import { municipalityCode } from '../domain/areas.js'

/** A scoped key may only touch its own municipality's areas (DESIGN.md §3). */
export function assertAreaInScope(caller: Caller | null, areaCode: string): void {
  if (caller?.municipality && municipalityCode(areaCode) !== caller.municipality) {
    throw forbidden(`${areaCode} is outside this key's municipality ${caller.municipality}`)
  }
}

/**
 * The municipality a list is limited to: the one asked for (which must be the key's own for a
 * scoped key), else the key's scope, else none.
 */
export function listScope(
  caller: Caller | null,
  municipality: string | undefined,
): string | undefined {
  if (caller?.municipality) {
    if (municipality && municipality !== caller.municipality) {
      throw forbidden(`${municipality} is outside this key's municipality ${caller.municipality}`)
    }
    return caller.municipality
  }
  return municipality
}
