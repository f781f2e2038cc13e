import t from 'tap'
import * as tf from '@tensorflow/tfjs'
import { initTensorflowBackend } from '../../../services/plugins/tensorflow-backend.js'

t.test(
  'when tfjs-node is not installed, then the first call falls back to wasm and says why',
  async (t) => {
    const rejections = process.listeners('unhandledRejection').length
    const exceptions = process.listeners('uncaughtException').length
    const selection = await initTensorflowBackend()
    t.equal(selection.backend, 'wasm')
    t.equal(tf.getBackend(), 'wasm')
    t.match(selection.fallbacks[0], /^tensorflow: /)
    t.equal(
      process.listeners('unhandledRejection').length,
      rejections,
      'no rethrowing rejection handler left',
    )
    t.equal(
      process.listeners('uncaughtException').length,
      exceptions,
      'no rethrowing exception handler left',
    )
    const again = await initTensorflowBackend()
    t.equal(again, selection, 'a second call returns the first result')
  },
)

t.test('when cpu is asked for, then cpu is selected, and wasm again when asked', async (t) => {
  t.same(await initTensorflowBackend('cpu'), { backend: 'cpu', fallbacks: [] })
  t.equal(tf.getBackend(), 'cpu')
  t.same(await initTensorflowBackend('wasm'), { backend: 'wasm', fallbacks: [] })
  t.equal(tf.getBackend(), 'wasm')
  t.equal(
    tf.tidy(() => tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0]),
    5,
  )
})

t.test('when an unknown backend is asked for, then it throws a TypeError', async (t) => {
  await t.rejects(initTensorflowBackend('gpu' as 'cpu'), {
    name: 'TypeError',
    message: /^initTensorflowBackend requires preferred/,
  })
})
