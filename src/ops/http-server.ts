import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { displayHost, listenOn } from '../broker/listeners.ts'

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

export interface HttpServer {
  url: string
  port: number
  /** Adds routes to a running server (the dashboard, mounted once the lab it shows exists). */
  mount(routes: Record<string, HttpHandler>): void
  close(): Promise<void>
}

/**
 * The lab's HTTP port: `/metrics` for Prometheus, `/healthz` for orchestration, and whatever else a
 * later part mounts (the dashboard). Routes are exact paths or prefixes ending in `/`.
 */
export async function startHttpServer(options: { host: string; port: number; routes: Record<string, HttpHandler> }): Promise<HttpServer> {
  const sockets = new Set<Socket>()
  let routes: [string, HttpHandler][] = []
  const mount = (more: Record<string, HttpHandler>) => {
    // Longest first, so `/metrics` wins over a `/` prefix.
    routes = [...routes, ...Object.entries(more)].sort(([a], [b]) => b.length - a.length)
  }
  mount(options.routes)
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const match = routes.find(([route]) => (route.endsWith('/') ? path.startsWith(route) : path === route))
    if (!match) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`)
      return
    }
    Promise.resolve(match[1](req, res)).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(`error: ${err.message}\n`)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  const port = await listenOn(server, { host: options.host, port: options.port, flag: '--http-port', label: 'HTTP (metrics, dashboard)' })
  return {
    url: `http://${displayHost(options.host)}:${port}`,
    port,
    mount,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
