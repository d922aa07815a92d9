// Small fetch-based client for the sellstream API. Auth is an HttpOnly cookie
// (`ss_session`) set by the server, so every call just sends credentials.

export const API_BASE = '/api/v1'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  /** Seconds to wait before trying again (the `Retry-After` header), when the server said. */
  readonly retryAfter: number | null
  constructor(status: number, code: string, message: string, retryAfter: number | null = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.retryAfter = retryAfter
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>

type UnauthorizedHook = (err: ApiError, path: string) => void
let onUnauthorized: UnauthorizedHook | null = null

/** Register a callback invoked on any 401 answer (e.g. to go to the sign-in page). */
export function setUnauthorizedHandler(fn: UnauthorizedHook | null) {
  onUnauthorized = fn
}

export function buildUrl(path: string, query?: Query): string {
  let url = path.startsWith('/api/') ? path : API_BASE + path
  if (query) {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue
      params.set(k, String(v))
    }
    const qs = params.toString()
    if (qs) url += (url.includes('?') ? '&' : '?') + qs
  }
  return url
}

async function parseError(res: Response): Promise<ApiError> {
  let code = 'http_' + res.status
  let message = res.statusText || 'HTTP ' + res.status
  try {
    const text = await res.text()
    if (text) {
      try {
        const body = JSON.parse(text)
        if (body && typeof body === 'object' && body.error) {
          if (typeof body.error.code === 'string') code = body.error.code
          if (typeof body.error.message === 'string' && body.error.message) message = body.error.message
        } else if (body && typeof body.message === 'string') {
          message = body.message
        }
      } catch {
        if (text.length < 300) message = text
      }
    }
  } catch {
    /* ignore body read errors */
  }
  const ra = Number(res.headers.get('retry-after'))
  return new ApiError(res.status, code, message, Number.isFinite(ra) && ra > 0 ? ra : null)
}

/** `keepalive`: the request outlives the page (sent from `pagehide`; the body must stay under 64 KiB). */
export interface RequestOptions {
  keepalive?: boolean
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  query?: Query,
  extraHeaders?: Record<string, string>,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...extraHeaders }
  const init: RequestInit = { method, credentials: 'include', headers }
  if (options.keepalive) init.keepalive = true
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  let res: Response
  try {
    res = await fetch(buildUrl(path, query), init)
  } catch (e) {
    throw new ApiError(0, 'network_error', e instanceof Error ? e.message : String(e))
  }
  if (!res.ok) {
    const err = await parseError(res)
    if (res.status === 401 && onUnauthorized) onUnauthorized(err, path)
    throw err
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  if (!text) return undefined as T
  try {
    return JSON.parse(text) as T
  } catch {
    throw new ApiError(res.status, 'invalid_response', 'Invalid JSON in response')
  }
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, undefined, query),
  post: <T>(path: string, body?: unknown, headers?: Record<string, string>) => request<T>('POST', path, body ?? {}, undefined, headers),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body ?? {}),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body ?? {}),
  del: <T = void>(path: string) => request<T>('DELETE', path),
}

/**
 * Fetches a file (e.g. an export) with the session cookie and hands it to the browser as a
 * download named as the server says (Content-Disposition) or `fallbackName`.
 */
export async function download(path: string, query: Query | undefined, fallbackName: string): Promise<string> {
  let res: Response
  try {
    res = await fetch(buildUrl(path, query), { credentials: 'include' })
  } catch (e) {
    throw new ApiError(0, 'network_error', e instanceof Error ? e.message : String(e))
  }
  if (!res.ok) {
    const err = await parseError(res)
    if (res.status === 401 && onUnauthorized) onUnauthorized(err, path)
    throw err
  }
  const blob = await res.blob()
  const cd = res.headers.get('content-disposition') || ''
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd)
  const name = m ? decodeURIComponent(m[1]) : fallbackName
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return name
}

/** A fresh key for `Idempotency-Key` (a UUID; crypto.randomUUID needs a secure context). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const b = new Uint8Array(16)
  crypto.getRandomValues(b)
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** Message to show for any thrown value (API errors carry the server's message). */
export function errorMessage(e: unknown, fallback = 'Error'): string {
  if (e instanceof ApiError) return e.message || e.code || fallback
  if (e instanceof Error) return e.message || fallback
  return fallback
}
