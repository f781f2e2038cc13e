/** One read the traffic sends: a path and the headers (the key) it is sent with. */
export interface Read {
  path: string
  headers: Record<string, string>
  /** The route pattern the audit log names, for reads of exact values. */
  auditedAs?: string
}

/** One answered read. */
export interface Answer {
  read: Read
  path: string
  startedAt: number
  ms: number
  status: number
  retryAfter: string | null
  /** The error code of a 4xx/5xx answer. */
  code: string | null
}

/**
 * Sustained reads over HTTP for the outage tests: `clients` loops, each going round `reads`
 * from its own offset with a short pause, every request bounded by `timeoutMs`. Answers and
 * failures (no answer at all, or none in time) are collected until `stop()`.
 */
export function startReadTraffic(options: {
  base: string
  reads: readonly Read[]
  clients: number
  timeoutMs: number
  pauseMs: number
}): { answers: Answer[]; failures: string[]; stop: () => Promise<void> } {
  const answers: Answer[] = []
  const failures: string[] = []
  let stopping = false
  const client = async (offset: number) => {
    for (let index = offset; !stopping; index += 1) {
      const read = options.reads[index % options.reads.length]
      const startedAt = Date.now()
      try {
        const response = await fetch(`${options.base}${read.path}`, {
          headers: read.headers,
          signal: AbortSignal.timeout(options.timeoutMs),
        })
        const text = await response.text()
        answers.push({
          read,
          path: read.path,
          startedAt,
          ms: Date.now() - startedAt,
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          code:
            response.status >= 400
              ? (JSON.parse(text) as { error: { code: string } }).error.code
              : null,
        })
      } catch (error) {
        failures.push(`${read.path}: ${error instanceof Error ? error.message : String(error)}`)
      }
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs))
    }
  }
  // Offsets spread the clients over the list so that every read is in flight at any moment.
  const running = Array.from({ length: options.clients }, (_, index) =>
    client(Math.floor((index * options.reads.length) / options.clients)),
  )
  return {
    answers,
    failures,
    stop: async () => {
      stopping = true
      await Promise.all(running)
    },
  }
}
