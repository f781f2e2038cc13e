import * as tf from '@tensorflow/tfjs'

/** The TensorFlow.js backends Aanwas can run its models on, in order of preference (DESIGN.md §2). */
export type TensorflowBackendName = 'tensorflow' | 'wasm' | 'cpu'

/** The backend in use after initialisation, and why each better one was passed over. */
export interface TensorflowBackendSelection {
  backend: TensorflowBackendName
  /** One entry per backend tried and skipped, `"<backend>: <reason>"`, in the order tried. */
  fallbacks: string[]
}

const preferenceOrder: readonly TensorflowBackendName[] = ['tensorflow', 'wasm', 'cpu']

/**
 * The native addon is an optional dependency that usually is not installed (its install
 * downloads libtensorflow). A non-literal specifier keeps TypeScript from resolving it.
 */
const tensorflowNodePackage = '@tensorflow/tfjs-node'

let current:
  | { preferred: TensorflowBackendName | undefined; selection: Promise<TensorflowBackendSelection> }
  | undefined

/**
 * Runs `load` and removes the `unhandledRejection` / `uncaughtException` listeners it added: the
 * emscripten glue of the wasm backend (and of the native addon) installs handlers that rethrow, so
 * one stray rejection would otherwise kill the process (RECIPES.md, TensorFlow.js on wasm).
 */
async function withoutAddedProcessListeners<T>(load: () => Promise<T>): Promise<T> {
  const rejectionListeners = new Set(process.listeners('unhandledRejection'))
  const exceptionListeners = new Set(process.listeners('uncaughtException'))
  try {
    return await load()
  } finally {
    for (const listener of process.listeners('unhandledRejection')) {
      if (!rejectionListeners.has(listener)) process.removeListener('unhandledRejection', listener)
    }
    for (const listener of process.listeners('uncaughtException')) {
      if (!exceptionListeners.has(listener)) process.removeListener('uncaughtException', listener)
    }
  }
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.split('\n')[0].slice(0, 300)
}

/** Registers a backend's implementation with TensorFlow.js; `cpu` ships with `@tensorflow/tfjs`. */
async function registerBackend(name: TensorflowBackendName): Promise<void> {
  if (name === 'tensorflow') {
    if (tf.findBackendFactory('tensorflow') === null) await import(tensorflowNodePackage)
    if (tf.findBackendFactory('tensorflow') === null) {
      throw new Error(`${tensorflowNodePackage} loaded but registered no "tensorflow" backend`)
    }
  } else if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm')
  }
}

async function activate(name: TensorflowBackendName): Promise<void> {
  await withoutAddedProcessListeners(async () => {
    await registerBackend(name)
    // setBackend answers false on failure and leaves tf on its previous backend: check both.
    const accepted = await tf.setBackend(name)
    if (!accepted) throw new Error(`tf.setBackend("${name}") returned false`)
    await tf.ready()
  })
  const active = tf.getBackend()
  if (active !== name) throw new Error(`tf.getBackend() is "${active}" after selecting "${name}"`)
}

async function select(
  preferred: TensorflowBackendName | undefined,
): Promise<TensorflowBackendSelection> {
  const start = preferred === undefined ? 0 : preferenceOrder.indexOf(preferred)
  const fallbacks: string[] = []
  for (const name of preferenceOrder.slice(start)) {
    try {
      await activate(name)
      return { backend: name, fallbacks }
    } catch (error) {
      fallbacks.push(`${name}: ${describeError(error)}`)
    }
  }
  throw new Error(`initTensorflowBackend found no usable backend (${fallbacks.join('; ')})`)
}

/**
 * Chooses and initialises the TensorFlow.js backend once, at start (DESIGN.md §2): `tensorflow`
 * (the optional native `@tensorflow/tfjs-node`; absent or broken falls back), then `wasm`
 * (`@tensorflow/tfjs-backend-wasm`, SIMD, one thread under Node), then the plain `cpu` backend.
 * `preferred` (from `AANWAS_TF_BACKEND`) starts the search at that backend instead of the first.
 *
 * Idempotent: a later call returns the first call's result, unless it asks for a different
 * `preferred` backend (tests switching between `wasm` and `cpu`), which selects again.
 *
 * @returns the backend in use and, per skipped backend, why it was skipped
 * @throws Error when not even `cpu` initialises
 */
export async function initTensorflowBackend(
  preferred?: TensorflowBackendName,
): Promise<TensorflowBackendSelection> {
  if (preferred !== undefined && !preferenceOrder.includes(preferred)) {
    throw new TypeError(
      `initTensorflowBackend requires preferred to be tensorflow, wasm or cpu, got "${String(preferred)}"`,
    )
  }
  if (current !== undefined && (preferred === undefined || preferred === current.preferred)) {
    return current.selection
  }
  const selection = select(preferred)
  current = { preferred, selection }
  try {
    return await selection
  } catch (error) {
    if (current?.selection === selection) current = undefined
    throw error
  }
}
