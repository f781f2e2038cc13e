import t from 'tap'
import { serialWorker } from '../../../services/workers/serial-worker.js'

/** A job whose runs are counted and each held open until released. */
function gatedJob() {
  let runs = 0
  let concurrent = 0
  let maxConcurrent = 0
  const gates: Array<() => void> = []
  const job = async () => {
    runs += 1
    concurrent += 1
    maxConcurrent = Math.max(maxConcurrent, concurrent)
    await new Promise<void>((resolve) => gates.push(resolve))
    concurrent -= 1
  }
  const release = async () => {
    while (gates.length === 0) await new Promise((resolve) => setImmediate(resolve))
    gates.shift()!()
  }
  return { job, release, runs: () => runs, maxConcurrent: () => maxConcurrent }
}

t.test('serialWorker', async (t) => {
  t.test('when kicked during a run, then all those kicks make one more run after it', async (t) => {
    const gated = gatedJob()
    const worker = serialWorker(gated.job, () => t.fail('no error expected'))
    worker.kick()
    worker.kick()
    worker.kick()
    worker.kick()
    await gated.release()
    await gated.release()
    await worker.idle()
    t.equal(gated.runs(), 2)
    t.equal(gated.maxConcurrent(), 1, 'never two runs at once')
  })

  t.test('when a run fails, then the error is reported and the worker goes on', async (t) => {
    const errors: unknown[] = []
    let runs = 0
    const worker = serialWorker(
      async () => {
        runs += 1
        if (runs === 1) throw new Error('first run fails')
      },
      (error) => errors.push(error),
    )
    worker.kick()
    await worker.idle()
    worker.kick()
    await worker.idle()
    t.equal(runs, 2)
    t.equal(errors.length, 1)
    t.match((errors[0] as Error).message, /first run fails/)
  })

  t.test('when closed, then it waits for the running job and takes no more kicks', async (t) => {
    const gated = gatedJob()
    const worker = serialWorker(gated.job, () => t.fail('no error expected'))
    worker.kick()
    const closed = worker.close()
    t.equal(worker.closing, true)
    worker.kick()
    await gated.release()
    await closed
    await worker.idle()
    t.equal(gated.runs(), 1)
  })
})
