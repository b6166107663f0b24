import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { HttpHandler } from '../ops/http-server.ts'
import { packageFile } from '../util/package-files.ts'

/** The page's own files: plain HTML, CSS and ES modules, served as they are (no build step). */
export const PUBLIC_DIR = fileURLToPath(packageFile('src/dashboard/public/'))

/** mqtt.js ships a browser ES module build; the lab has no internet, so it comes from node_modules, not a CDN. */
export const MQTT_BROWSER_BUILD = createRequire(import.meta.url).resolve('mqtt/dist/mqtt.esm')

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
}

/** One flat folder of lower-case names: nothing a request names can climb out of it. */
const PUBLIC_NAME = /^[a-z0-9-]+\.(html|js|css|svg)$/

/**
 * Device payloads are attacker-controlled in a security testbed, so the page never turns them into
 * markup, and this policy stops any script but the page's own from running if it ever did. The
 * broker's WebSocket is on another port, hence `ws:`/`wss:` in connect-src; mqtt.js runs its
 * keep-alive timers in a blob: worker, which background tabs do not throttle.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

async function sendFile(res: Parameters<HttpHandler>[1], file: string, type: string): Promise<void> {
  let body: Buffer
  try {
    body = await readFile(file)
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
    return
  }
  res
    .writeHead(200, {
      'content-type': type,
      'content-length': body.length,
      // The files change when wardlab is upgraded, and a stale module next to a new one breaks the page.
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'referrer-policy': 'no-referrer',
    })
    .end(body)
}

/** `/`: the page itself; anything else under the root prefix is not ours, so 404 as before. */
export const indexPage: HttpHandler = async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname
  if (path !== '/') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`)
    return
  }
  await sendFile(res, join(PUBLIC_DIR, 'index.html'), CONTENT_TYPES.html!)
}

/** `/dashboard/{file}` from the public folder, and `/dashboard/vendor/mqtt.esm.js`. */
export const publicFiles: HttpHandler = async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname
  const name = path.slice('/dashboard/'.length)
  if (name === 'vendor/mqtt.esm.js') return sendFile(res, MQTT_BROWSER_BUILD, CONTENT_TYPES.js!)
  const match = PUBLIC_NAME.exec(name)
  if (!match) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`)
    return
  }
  await sendFile(res, join(PUBLIC_DIR, name), CONTENT_TYPES[match[1]!]!)
}
