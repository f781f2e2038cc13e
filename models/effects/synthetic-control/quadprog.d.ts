/**
 * Types for `quadprog` 1.6 (a JavaScript port of R's quadprog, Goldfarb–Idnani dual method),
 * which ships none. Arrays are 1-based as in the Fortran original: element 0 is unused.
 * solveQP minimises ½ bᵀ D b − dᵀ b subject to Aᵀ b ≥ b0, the first `meq` constraints as equalities.
 */
declare module 'quadprog' {
  export interface QuadprogResult {
    /** Solution b, 1-based. */
    solution: number[]
    /** Lagrange multipliers of the constraints, 1-based. */
    Lagrangian: number[]
    /** value[1] is the objective at the solution. */
    value: number[]
    /** Empty on success; otherwise why no solution was found. */
    message: string
    /** Active constraints, 1-based. */
    iact: number[]
    iterations: number[]
  }
  export function solveQP(
    Dmat: number[][],
    dvec: number[],
    Amat: number[][],
    bvec?: number[],
    meq?: number,
    factorized?: number[],
  ): QuadprogResult
  const quadprog: { solveQP: typeof solveQP }
  export default quadprog
}
