import { createServer, connect, type Server, type Socket } from 'node:net'

/**
 * A loopback TCP proxy between the service and PostgreSQL that a test can cut and restore, so an
 * outage is simulated without touching the shared server.
 */
export interface TcpProxy {
  port: number
  /** Drops every open connection and refuses new ones (a server that went away). */
  cut(): void
  /**
   * Keeps every connection open but passes no byte either way, and accepts new connections that
   * never reach the server (a network partition that drops packets: nothing is refused).
   */
  silence(): void
  /** Passes bytes again: silenced connections resume; ones opened while silent are dropped. */
  restore(): void
  close(): Promise<void>
}

interface Pair {
  client: Socket
  upstream: Socket
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>()
  const held = new Set<Socket>()
  let mode: 'open' | 'cut' | 'silent' = 'open'
  const join = ({ client, upstream }: Pair) => {
    client.pipe(upstream)
    upstream.pipe(client)
  }
  const server: Server = createServer((client) => {
    if (mode === 'cut') {
      client.destroy()
      return
    }
    if (mode === 'silent') {
      held.add(client)
      client.pause()
      client.on('error', () => client.destroy())
      client.on('close', () => held.delete(client))
      return
    }
    const pair = { client, upstream: connect(targetPort, targetHost) }
    pairs.add(pair)
    const drop = () => {
      pair.client.destroy()
      pair.upstream.destroy()
      pairs.delete(pair)
    }
    for (const socket of [pair.client, pair.upstream]) {
      socket.on('error', drop)
      socket.on('close', drop)
    }
    join(pair)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no port')
  const dropAll = () => {
    for (const { client, upstream } of pairs) {
      client.destroy()
      upstream.destroy()
    }
    pairs.clear()
    for (const socket of held) socket.destroy()
    held.clear()
  }
  return {
    port: address.port,
    cut() {
      mode = 'cut'
      dropAll()
    },
    silence() {
      mode = 'silent'
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream)
        upstream.unpipe(client)
        client.pause()
        upstream.pause()
      }
    },
    restore() {
      if (mode === 'silent') {
        for (const pair of pairs) join(pair)
        for (const socket of held) socket.destroy()
        held.clear()
      }
      mode = 'open'
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropAll()
        server.close(() => resolve())
      }),
  }
}
