import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import * as tf from '@tensorflow/tfjs'
import type { Tensorflow } from '../../models/risk/binomial-glm.js'
import { initTensorflowBackend, type TensorflowBackendSelection } from './tensorflow-backend.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The TensorFlow.js namespace, its backend chosen once at start. */
    tf: Tensorflow
    tfBackend: TensorflowBackendSelection
  }
}

/**
 * Chooses the TensorFlow.js backend once (DESIGN.md §2 "Model runtime"): AANWAS_TF_BACKEND when
 * set, else tensorflow (tfjs-node, optional) → wasm → cpu; a broken one falls back.
 */
export default fp(
  async function tensorflow(fastify: FastifyInstance) {
    const selection = await initTensorflowBackend(fastify.config.tfBackend)
    if (selection.fallbacks.length > 0) {
      fastify.log.info(
        { backend: selection.backend, fallbacks: selection.fallbacks },
        'TensorFlow.js backend chosen',
      )
    }
    fastify.decorate('tf', tf)
    fastify.decorate('tfBackend', selection)
  },
  { name: 'tensorflow', dependencies: ['config'] },
)
