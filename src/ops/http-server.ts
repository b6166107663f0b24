import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { displayHost, listenOn } from '../broker/listeners.ts'
import type { HttpGuard } from './http-auth.ts'

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

export interface HttpServer {
  url: string
  port: number
  /** Adds routes to a running server (the dashboard, mounted once the lab it shows exists). */
  mount(routes: Record<string, HttpHandler>): void
  close(): Promise<void>
}

/** Answers without credentials even behind a guard: says only that the process is up. */
const OPEN_PATHS = new Set(['/healthz'])

/**
 * The lab's HTTP port: `/metrics` for Prometheus, `/healthz` for orchestration, and whatever else a
 * later part mounts (the dashboard). Routes are exact paths or prefixes ending in `/`. With a
 * `guard`, every request but /healthz passes it first — before the route is looked up, so a 404
 * tells a stranger nothing either.
 */
export async function startHttpServer(options: { host: string; port: number; routes: Record<string, HttpHandler>; guard?: HttpGuard }): Promise<HttpServer> {
  const sockets = new Set<Socket>()
  let routes: [string, HttpHandler][] = []
  const mount = (more: Record<string, HttpHandler>) => {
    // Longest first, so `/metrics` wins over a `/` prefix.
    routes = [...routes, ...Object.entries(more)].sort(([a], [b]) => b.length - a.length)
  }
  mount(options.routes)
  const route = (req: IncomingMessage, res: ServerResponse) => {
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
  }
  const guard = options.guard
  const server = createServer((req, res) => {
    if (!guard || OPEN_PATHS.has(new URL(req.url ?? '/', 'http://localhost').pathname)) return route(req, res)
    guard(req).then(
      (verdict) =>
        verdict.allowed ? route(req, res) : res.writeHead(verdict.status, { 'content-type': 'text/plain', ...verdict.headers }).end(`${verdict.message}\n`),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`error: ${err.message}\n`),
    )
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
