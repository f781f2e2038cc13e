/**
 * One job of a kind at a time in this process (issue 15: the model runner, the alert evaluator
 * and the webhook outbox each repeated this). `kick()` runs the job now, or — when it is running
 * — once more right after it (any number of kicks meanwhile merge into that one run), so work
 * that arrives during a run is never lost and never runs twice at once. Across instances the jobs
 * take their own database locks; this only orders the runs of one process.
 */
export interface SerialWorker {
  /** Runs the job now, or once more after the running one. */
  kick(): void
  /** Resolves when no run is active or pending. */
  idle(): Promise<void>
  /** Takes no more kicks; resolves when the running job has ended. */
  close(): Promise<void>
  /** True once `close` was called: a long job checks it to stop early. */
  readonly closing: boolean
}

/**
 * @param job one run of the work; its failure goes to `onError`, and the worker stays usable
 * @param onError how a failed run is reported (the log)
 */
export function serialWorker(
  job: () => Promise<unknown>,
  onError: (error: unknown) => void,
): SerialWorker {
  let active: Promise<void> | undefined
  let again = false
  let closing = false
  const kick = (): void => {
    if (closing) return
    if (active) {
      again = true
      return
    }
    active = job()
      .then(
        () => undefined,
        (error: unknown) => onError(error),
      )
      .finally(() => {
        active = undefined
        if (again) {
          again = false
          kick()
        }
      })
  }
  return {
    kick,
    async idle() {
      while (active) await active
    },
    async close() {
      closing = true
      while (active) await active
    },
    get closing() {
      return closing
    },
  }
}
