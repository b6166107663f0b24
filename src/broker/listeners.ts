import { createServer as createHttpServer } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { readFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, createWebSocketStream } from 'ws'
import { MAX_PACKET_BYTES } from './packet-size-limit.ts'
import { WardlabError } from '../util/errors.ts'

export type ListenerKind = 'mqtt' | 'ws' | 'mqtts'

export interface ListenerSpec {
  kind: ListenerKind
  host: string
  /** 0 picks a free port. */
  port: number
  /** The CLI flag that sets this port, named in the error when the port is taken. */
  flag: string
  tls?: { certFile: string; keyFile: string }
}

export interface BoundListener {
  kind: ListenerKind
  host: string
  port: number
  url: string
}

export interface Listeners {
  bound: BoundListener[]
  /** Sockets open on every listener right now (a leak check: 0 once every client has gone). */
  openSockets(): number
  close(): Promise<void>
}

const LABELS: Record<ListenerKind, string> = { mqtt: 'MQTT/TCP', ws: 'MQTT over WebSocket', mqtts: 'MQTT over TLS' }
const SCHEMES: Record<ListenerKind, string> = { mqtt: 'mqtt', ws: 'ws', mqtts: 'mqtts' }

/**
 * Opens the broker's listeners: plain TCP, WebSocket (through `ws`, since aedes-server-factory
 * pins an old one) and TLS. All or nothing: if one port is taken, the ones already open are
 * closed again and the error names the port and the flag that moves it.
 */
/** Takes a new connection: Aedes' `handle`, or a gate in front of it. */
export type ConnectionHandler = (stream: Duplex, request?: IncomingMessage) => void

export async function openListeners(handle: ConnectionHandler, specs: ListenerSpec[], maxPacketBytes = MAX_PACKET_BYTES): Promise<Listeners> {
  const opened: { server: Server; sockets: Set<Socket>; wss?: WebSocketServer; bound: BoundListener }[] = []
  const closeAll = async () => {
    await Promise.all(
      opened.map(
        ({ server, sockets, wss }) =>
          new Promise<void>((resolve) => {
            wss?.clients.forEach((ws) => ws.terminate())
            wss?.close()
            for (const socket of sockets) socket.destroy()
            server.close(() => resolve())
          }),
      ),
    )
  }
  try {
    for (const spec of specs) {
      const sockets = new Set<Socket>()
      const track = (socket: Socket) => {
        sockets.add(socket)
        socket.once('close', () => sockets.delete(socket))
      }
      let server: Server
      let wss: WebSocketServer | undefined
      if (spec.kind === 'ws') {
        const httpServer = createHttpServer((_req, res) => {
          res.writeHead(426, { 'content-type': 'text/plain' }).end('This port speaks MQTT over WebSocket: connect with an MQTT client (ws://host:port/mqtt).\n')
        })
        server = httpServer
        server.on('connection', track)
        // noServer: ws would otherwise re-emit the HTTP server's errors (EADDRINUSE) on itself, unhandled.
        const sockets = new WebSocketServer({
          noServer: true,
          // ws buffers a whole message before handing it on (default up to 100 MiB), before any
          // CONNECT: a 90 MB frame grew the broker by 255 MB (issue 16). No frame needs to be
          // larger than the largest packet a client may send (packet-size-limit.ts) and its fixed
          // header; ws closes the connection (1009) as soon as a frame's header announces more.
          maxPayload: maxPacketBytes + 5,
          // MQTT over WebSocket negotiates the "mqtt" subprotocol (MQTT 3.1.1 §6); older clients offer "mqttv3.1".
          handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
        })
        httpServer.on('upgrade', (req, socket, head) => sockets.handleUpgrade(req, socket, head, (ws) => handle(createWebSocketStream(ws), req)))
        wss = sockets
      } else if (spec.kind === 'mqtts') {
        server = createTlsServer(readTls(spec), (socket) => handle(socket))
        server.on('connection', track)
      } else {
        server = createNetServer((socket) => handle(socket))
        server.on('connection', track)
      }
      const port = await listenOn(server, { host: spec.host, port: spec.port, flag: spec.flag, label: LABELS[spec.kind] })
      opened.push({
        server,
        sockets,
        wss,
        bound: { kind: spec.kind, host: spec.host, port, url: `${SCHEMES[spec.kind]}://${displayHost(spec.host)}:${port}${spec.kind === 'ws' ? '/mqtt' : ''}` },
      })
    }
  } catch (err) {
    await closeAll()
    throw err
  }
  return { bound: opened.map((o) => o.bound), openSockets: () => opened.reduce((n, o) => n + o.sockets.size, 0), close: closeAll }
}

/** Listens, turning the errors people hit into ones that name the port, the listener and the flag. */
export function listenOn(server: Server, spec: { host: string; port: number; flag: string; label: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new WardlabError(
            'WL_PORT_IN_USE',
            `port ${spec.port} (${spec.label}) on ${spec.host} is already in use; choose another with ${spec.flag} <port>, or ${spec.flag} 0 for a free one`,
            { cause: err },
          ),
        )
      } else if (err.code === 'EACCES') {
        reject(
          new WardlabError(
            'WL_LISTEN_FAILED',
            `not allowed to listen on port ${spec.port} (${spec.label}); ports below 1024 need privileges — choose another with ${spec.flag} <port>`,
            { cause: err },
          ),
        )
      } else {
        reject(new WardlabError('WL_LISTEN_FAILED', `cannot listen on ${spec.host}:${spec.port} (${spec.label}): ${err.message}`, { cause: err }))
      }
    }
    server.once('error', onError)
    server.listen(spec.port, spec.host, () => {
      server.off('error', onError)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

function readTls(spec: ListenerSpec): { cert: Buffer; key: Buffer } {
  if (!spec.tls) throw new WardlabError('WL_TLS_CONFIG', 'the TLS listener needs a certificate and a key (--tls-cert and --tls-key)')
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file)
    } catch (err) {
      throw new WardlabError('WL_TLS_CONFIG', `cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, { cause: err })
    }
  }
  return { cert: read(spec.tls.certFile, 'certificate (--tls-cert)'), key: read(spec.tls.keyFile, 'key (--tls-key)') }
}

export function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}
