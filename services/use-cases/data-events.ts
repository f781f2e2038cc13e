/**
 * The data events use cases emit (issue 15: an upload's after-effects belong to the upload use
 * case, not to the route that called it). The emitter is the `data-events` worker plugin; the
 * workers that react (alert evaluator, model runner, caches) subscribe there.
 */

/** What happened to the data: the after-effects of a change are the listeners' business. */
export interface DataEventMap {
  /** An upload stored new or revised snapshots (its batch, and who uploaded). */
  'snapshots-changed': [{ batchId: string; keyId: string | null; changed: number }]
  /** An admin stored links between divisions: bridged series read through them changed. */
  'area-links-changed': [{ keyId: string | null; stored: number }]
  /** An admin published a model run: what GET /v1/risk serves for its horizon changed. */
  'run-published': [{ runId: string; horizon: number }]
}

/** A typed event emitter for the service's data events (one per app instance). */
export interface DataEvents {
  /** Runs every listener; resolves when all have (a failure is logged, not thrown). */
  emit<Name extends keyof DataEventMap>(name: Name, ...payload: DataEventMap[Name]): Promise<void>
  on<Name extends keyof DataEventMap>(
    name: Name,
    listener: (...payload: DataEventMap[Name]) => void | Promise<void>,
  ): void
}
