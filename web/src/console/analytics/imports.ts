// Other platforms' data (docs/imports.md, docs/competitors.md): the answers of the import,
// cross-platform and competitor endpoints, and the raw-body upload with progress. Money is integer
// fen, rates 0..1, durations ms; `started_at` of a preview row is epoch ms, other times RFC 3339.

import { ApiError, buildUrl, type Query } from '@shared/api'
import { DEFAULT_TIME_ZONE, formatDateTime } from '@shared/format'

/** The server's limit on an upload (imports::MAX_FILE_BYTES). */
export const MAX_FILE_MB = 20
export const MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024

/** Platforms whose exports are read. */
export const IMPORT_PLATFORMS = ['taobao', 'douyin', 'kuaishou'] as const
/** Platforms a competitor may be watched on. */
export const COMPETITOR_PLATFORMS = ['taobao', 'douyin', 'kuaishou', 'other'] as const

/** What a `sessions` export may carry, in the mapping editor's order. */
export const SESSION_FIELDS = [
  'room',
  'title',
  'host',
  'started_at',
  'duration_ms',
  'uv',
  'pv',
  'pcu',
  'avg_watch_ms',
  'new_followers',
  'comments',
  'gmv_fen',
  'orders',
  'buyers',
  'conversion',
  'refund_fen',
] as const

/** What a `products` export may carry (one product of one session), in the editor's order. */
export const PRODUCT_FIELDS = [
  'room',
  'started_at',
  'product',
  'product_code',
  'exposures',
  'clicks',
  'units',
  'orders',
  'buyers',
  'gmv_fen',
  'explain_ms',
] as const

/** Export types: one row per session, or one row per product of a session. */
export const IMPORT_KINDS = ['sessions', 'products'] as const
export type ImportKind = (typeof IMPORT_KINDS)[number]

/** The fields of an export type, in the mapping editor's order. */
export function kindFields(kind: string): readonly string[] {
  return kind === 'products' ? PRODUCT_FIELDS : SESSION_FIELDS
}

export interface SessionRow {
  row: number
  room: string
  title: string
  host: string | null
  started_at: number
  duration_ms: number | null
  uv: number | null
  pv: number | null
  pcu: number | null
  avg_watch_ms: number | null
  new_followers: number | null
  comments: number | null
  gmv_fen: number | null
  orders: number | null
  buyers: number | null
  conversion: number | null
  refund_fen: number | null
}

export interface ProductRow {
  row: number
  room: string
  started_at: number
  product: string
  product_code: string | null
  exposures: number | null
  clicks: number | null
  units: number | null
  orders: number | null
  buyers: number | null
  gmv_fen: number | null
  explain_ms: number | null
}

export interface Rejected {
  row: number
  errors: string[]
}

export interface Preview {
  platform: string
  kind: string
  file_name: string
  bytes: number
  sha256: string
  format: string
  encoding: string
  sheet: string | null
  header_row: number
  mapping: Record<string, string>
  unmapped: string[]
  rows: number
  valid: number
  rejected: Rejected[]
  skipped_totals: number
  sample: (SessionRow | ProductRow)[]
  imported_as: number | null
}

export interface ImportRecord {
  id: number
  platform: string
  kind: string
  file_name: string
  sha256: string
  format: string
  encoding: string
  rows: number
  imported: number
  rejected: number
  added: number
  updated: number
  report: Rejected[]
  by_id: number | null
  created_at: string
  already: boolean
}

export interface Mapping {
  platform: string
  kind: string
  columns: Record<string, string[]>
  saved: boolean
}

export type CrossBy = 'platform' | 'room' | 'host' | 'product'

export interface CrossRow {
  source: 'own' | 'import'
  platform: string
  key: string
  sessions: number
  uv: number
  pcu_avg: number | null
  avg_watch_ms: number | null
  gmv_fen: number
  orders: number
  buyers: number
  conversion: number | null
  aov_fen: number | null
  comments: number
  new_followers: number
  /** By product: exposures, clicks and units sold (0 otherwise). */
  exposures: number
  clicks: number
  units: number
}

export interface Definition {
  platform: string
  metric: string
  note: string
}

export interface CrossPlatform {
  from: number
  to: number
  by: string
  rows: CrossRow[]
  definitions: Definition[]
}

/**
 * The notes on how an imported row's platform counts `metric` differently from sellstream (its
 * platform's and those for every platform, "*"). Rows sellstream measured itself (`own`) count
 * by our definitions, listed under platform "own": they are not marked.
 */
export function definitionNotes(defs: Definition[], row: Pick<CrossRow, 'source' | 'platform'>, metric: string): string[] {
  if (row.source === 'own') return []
  return defs.filter((d) => d.metric === metric && (d.platform === row.platform || d.platform === '*')).map((d) => d.note)
}

/** Our own definitions (platform "own"): what the marks differ from. */
export function ownDefinitions(defs: Definition[]): Definition[] {
  return defs.filter((d) => d.platform === 'own')
}

export interface Competitor {
  id: number
  name: string
  brand: string
  platform: string
  room: string
  category: string
  notes: string
  observations: number
  last_observed: string | null
  created_at: string
  updated_at: string
}

export interface Observation {
  id: number
  competitor_id: number
  started_at: string
  title: string
  uv: number | null
  pcu: number | null
  gmv_fen: number | null
  orders: number | null
  avg_price_fen: number | null
  notes: string
  source: string
  created_at: string
}

export interface CompetitorDetail extends Competitor {
  sessions: Observation[]
}

export interface ObservationImport {
  added: number
  updated: number
  preview: Preview
}

export interface Figures {
  sessions: number
  uv_avg: number | null
  pcu_avg: number | null
  gmv_fen_avg: number | null
  gmv_fen: number
}

export interface WatchPeriod {
  period: string
  ours: Figures
  competitors: Record<string, Figures>
}

export interface Watch {
  by: string
  competitors: Competitor[]
  periods: WatchPeriod[]
}

/** Epoch ms → "2026/11/20 20:00", always in Beijing time (how the exports are read). */
export function beijing(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  return formatDateTime(typeof ms === 'number' ? new Date(ms) : ms, DEFAULT_TIME_ZONE)
}

/** 1536 → "1.5 KB", 3_400_000 → "3.2 MB". */
export function formatBytes(n: number): string {
  if (n < 1024) return n + ' B'
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB'
  return (n / 1024 / 1024).toFixed(1) + ' MB'
}

export interface UploadResult<T> {
  status: number
  body: T
}

/**
 * POSTs `file` as the raw request body (application/octet-stream) with the session cookie, and
 * reports upload progress (0..1) as it goes — fetch cannot report an upload's progress. Resolves
 * with the status and JSON body; rejects with an ApiError carrying the server's error message.
 */
export function uploadFile<T>(path: string, query: Query, file: Blob, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<UploadResult<T>> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', buildUrl(path, query))
    xhr.withCredentials = true
    xhr.setRequestHeader('Content-Type', 'application/octet-stream')
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.total ? e.loaded / e.total : 1)
    }
    xhr.upload.onload = () => onProgress?.(1)
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'network error'))
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'aborted'))
    xhr.onload = () => {
      let body: unknown = null
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null
      } catch {
        body = null
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve({ status: xhr.status, body: body as T })
        return
      }
      const err = (body as { error?: { code?: string; message?: string } } | null)?.error
      reject(new ApiError(xhr.status, err?.code || 'http_' + xhr.status, err?.message || xhr.statusText || 'HTTP ' + xhr.status))
    }
    signal?.addEventListener('abort', () => xhr.abort())
    xhr.send(file)
  })
}
