import { Type, type TLiteral, type TSchema, type TUnion } from '@fastify/type-provider-typebox'
import {
  countColumns,
  predictors,
  rateFieldOf,
  type PredictorTerm,
  type RateField,
} from '../../models/vocabulary/indicators.js'

/**
 * The API fields named after the indicator vocabulary (models/vocabulary/indicators.ts): schemas
 * build their properties from these lists, so a new indicator reaches every schema, and the
 * OpenAPI document, without a schema edit.
 */

/**
 * One schema under each of `keys`, in their order: spread into `Type.Object({...})`, it keeps
 * every field name in the type, so `Static` still infers the exact fields.
 */
export function propertiesOf<Key extends string, Schema extends TSchema>(
  keys: readonly Key[],
  schema: Schema,
): { [K in Key]: Schema } {
  const properties = {} as { [K in Key]: Schema }
  for (const key of keys) properties[key] = schema
  return properties
}

/**
 * A union of one literal per value, in their order (an OpenAPI `anyOf` of constants). TypeBox
 * reads a union's static type from a tuple of members only; the result is typed as the
 * one-member tuple of the literal of all values, whose static type is the same union.
 */
export function literalUnion<Value extends string>(
  values: readonly Value[],
): TUnion<[TLiteral<Value>]> {
  return Type.Union(values.map((value) => Type.Literal(value))) as TUnion as TUnion<
    [TLiteral<Value>]
  >
}

/** Each count's rate field, in the counts' order. */
export const rateFields: readonly RateField[] = countColumns.map((column) => rateFieldOf[column])

/** The predictors' model terms, in design column order (the keys of a predictors object). */
export const predictorTerms: readonly PredictorTerm[] = predictors.map((entry) => entry.term)
