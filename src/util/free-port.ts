import { createServer } from 'node:net'

/**
 * A TCP port free on 127.0.0.1 right now: the kernel picks one for a listener on port 0, which
 * is closed again at once. Another process could take it before the caller binds it; for a server
 * the lab starts itself a moment later, on loopback, that race has not been seen.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}
