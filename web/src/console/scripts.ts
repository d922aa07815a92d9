// 直播脚本 (run-of-show scripts, docs/scripts.md): the API's shapes under /sessions/{id}/script,
// /script-templates, /scripts/split and /sessions/{id}/auto-replies, and the plain logic the
// editor, the live panel and the review share (segments as the editor holds them, the timer).
import { api } from '@shared/api'
import { currentLang } from '@shared/i18n'
import type { FlashSale, FlashSaleFigures, Page, Product, Sku } from '@shared/types'
import type { CheckResult, Hit } from './compliance'

export const SEGMENT_KINDS = ['opening', 'product_intro', 'interaction', 'promotion', 'closing', 'custom'] as const
export type SegmentKind = (typeof SEGMENT_KINDS)[number]

/** The server's bounds (422 / 413 beyond them). */
export const LIMITS = {
  segments: 60,
  title: 80,
  minutes: 600,
  people: 10,
  person: 40,
  products: 20,
  short: 500,
  text: 10_000,
  note: 200,
  templateName: 60,
  autoReplies: 20,
  keywords: 10,
  keyword: 20,
  answer: 200,
} as const

export interface Segment {
  kind: SegmentKind
  title: string
  /** Planned length, 1–600. */
  minutes: number
  people: string[]
  /** Product ids in order; the first is the one the live panel pins. */
  products: number[]
  /** A flash sale of this session (never in a template). */
  flash_sale_id: number | null
  /** A flash sale to launch with one click from the live panel (a SKU of the segment's products). */
  flash?: FlashPlan | null
  promotion: string
  text: string
  props: string
}

/** A planned flash sale: exactly the body of POST /sessions/{id}/flash-sales. */
export interface FlashPlan {
  sku_id: number
  /** Units set aside from the SKU's stock at launch, 1–1 000 000. */
  quota: number
  /** 1 fen to ¥1 000 000. */
  price_fen: number
  /** 1–99. */
  per_customer: number
  members_only: boolean
  /** Seconds of countdown in the room before it opens, 0–3600. */
  countdown_secs: number
  /** How long it runs once open, 10 s to a day. */
  duration_secs: number
}

/** The server's bounds of a plan's numbers (422 beyond them). */
export const FLASH_LIMITS = {
  quota: [1, 1_000_000],
  price_fen: [1, 100_000_000],
  per_customer: [1, 99],
  countdown_secs: [0, 3_600],
  duration_secs: [10, 86_400],
} as const

/** A new plan on a SKU with the server's defaults (one each, a 10 s countdown, 10 minutes). */
export function newFlashPlan(sku?: Sku | null): FlashPlan {
  return {
    sku_id: sku?.id ?? 0,
    quota: sku ? Math.max(1, Math.min(50, sku.stock)) : 50,
    price_fen: sku?.price_fen ?? 0,
    per_customer: 1,
    members_only: false,
    countdown_secs: 10,
    duration_secs: 600,
  }
}

/** What is wrong with a plan, as the key under console.scripts.flashPlan.problem, or null. */
export function flashPlanProblem(plan: FlashPlan): string | null {
  if (!plan.sku_id) return 'sku'
  for (const [field, [lo, hi]] of Object.entries(FLASH_LIMITS) as [keyof typeof FLASH_LIMITS, readonly [number, number]][]) {
    const v = plan[field]
    if (!Number.isInteger(v) || v < lo || v > hi) return field
  }
  return null
}

const productCache = new Map<number, Promise<Product>>()

/** A product with its SKUs (GET /products/{id}), asked once per page. */
export function productDetail(id: number): Promise<Product> {
  let p = productCache.get(id)
  if (!p) {
    p = api.get<Product>(`/products/${id}`)
    productCache.set(id, p)
    p.catch(() => productCache.delete(id))
  }
  return p
}

export interface ProductRef {
  id: number
  title: string
  image: string | null
  /** In the session's bag (only bag products can be pinned). */
  in_bag: boolean
}

/** The fields the compliance check reads. */
export type CheckedField = 'title' | 'text' | 'promotion'
export const CHECKED_FIELDS: CheckedField[] = ['title', 'text', 'promotion']

export interface SegmentFindings {
  /** Index into `segments`. */
  segment: number
  field: CheckedField
  hits: Hit[]
}

export interface Run {
  position: number
  kind: string
  title: string
  planned_minutes: number
  started_at: string
  ended_at: string | null
}

export interface Script {
  session_id: number
  /** 0 when nothing has been saved yet. */
  version: number
  segments: Segment[]
  total_minutes: number
  session_minutes: number
  session_state: string
  edited_by: string | null
  edited_at: string | null
  products: ProductRef[]
  findings: SegmentFindings[]
  /** Position of the running segment. */
  current: number | null
  runs: Run[]
  server_now: string
}

export interface VersionInfo {
  version: number
  segments: number
  total_minutes: number
  note: string
  edited_by: string | null
  edited_at: string
}

export interface FieldChange {
  field: string
  before: unknown
  after: unknown
}

export interface LineChange {
  op: 'equal' | 'insert' | 'delete'
  line: string
}

export interface SegmentChange {
  change: 'same' | 'changed' | 'added' | 'removed'
  title: string
  kind: string
  from_position: number | null
  to_position: number | null
  fields: FieldChange[]
  text: LineChange[]
}

export interface ScriptDiff {
  from: number
  to: number
  from_minutes: number
  to_minutes: number
  segments: SegmentChange[]
}

export interface Template {
  id: number
  name: string
  description: string
  segments: Segment[]
  total_minutes: number
  updated_by: string | null
  updated_at: string
}

export interface TemplateInput {
  name: string
  description: string
  segments: Segment[]
}

export interface Split {
  segments: Segment[]
  warnings: string[]
}

export interface AutoReply {
  keywords: string[]
  answer: string
  enabled: boolean
}

export interface AutoReplies {
  rules: AutoReply[]
  cooldown_seconds: number
}

export interface AdvanceInput {
  to?: number
  finish?: boolean
}

/** The compliance check of unsaved words (the same rules a save applies). */
export async function checkText(text: string): Promise<Hit[]> {
  if (!text.trim()) return []
  const res = await api.post<CheckResult>('/compliance/check', { text })
  return res.hits ?? []
}

const s = (id: number | string) => `/sessions/${encodeURIComponent(id)}`

export const scriptApi = {
  get: (sessionId: number | string, version?: number) => api.get<Script>(s(sessionId) + '/script', { version }),
  save: (sessionId: number | string, body: { segments: Segment[]; base_version?: number; note?: string }) => api.put<Script>(s(sessionId) + '/script', body),
  fromTemplate: (sessionId: number | string, templateId: number, baseVersion?: number) =>
    api.post<Script>(s(sessionId) + '/script/from-template', baseVersion ? { template_id: templateId, base_version: baseVersion } : { template_id: templateId }),
  versions: (sessionId: number | string) => api.get<{ items: VersionInfo[] }>(s(sessionId) + '/script/versions'),
  diff: (sessionId: number | string, from: number, to: number) => api.get<ScriptDiff>(s(sessionId) + '/script/diff', { from, to }),
  advance: (sessionId: number | string, body: AdvanceInput) => api.post<Script>(s(sessionId) + '/script/advance', body),
  split: (text: string) => api.post<Split>('/scripts/split', { text }),
  templates: () => api.get<{ items: Template[] }>('/script-templates'),
  createTemplate: (body: TemplateInput) => api.post<Template>('/script-templates', body),
  updateTemplate: (id: number, body: TemplateInput) => api.put<Template>(`/script-templates/${id}`, body),
  deleteTemplate: (id: number) => api.del(`/script-templates/${id}`),
  autoReplies: (sessionId: number | string) => api.get<AutoReplies>(s(sessionId) + '/auto-replies'),
  flashSales: (sessionId: number | string) => api.get<{ items: FlashSaleFigures[] }>(s(sessionId) + '/flash-sales'),
  launchFlash: (sessionId: number | string, plan: FlashPlan) => api.post<FlashSale>(s(sessionId) + '/flash-sales', plan),
  saveAutoReplies: (sessionId: number | string, rules: AutoReply[]) => api.put<AutoReplies>(s(sessionId) + '/auto-replies', { rules }),
}

/** A product the segment editor offers. */
export interface ProductOption {
  id: number
  title: string
  image: string | null
  in_bag?: boolean
}

/** A flash sale of the session the segment editor offers. */
export interface FlashOption {
  id: number
  label: string
}

/** Products a segment may name: the catalog's first page (100), by title. */
export async function catalogOptions(): Promise<ProductOption[]> {
  const res = await api.get<Page<Product>>('/products', { per_page: 100 })
  return (res.items ?? []).map((p) => ({ id: p.id, title: p.title, image: p.images?.[0] ?? null }))
}

// ---------------------------------------------------------------- segments in the editor

/** A segment as the editor holds it: with a key of its own, so checks follow it when it moves. */
export interface EditSegment extends Segment {
  uid: number
}

let nextUid = 1

export function newSegment(kind: SegmentKind = 'custom', title = ''): EditSegment {
  return { uid: nextUid++, kind, title, minutes: 5, people: [], products: [], flash_sale_id: null, flash: null, promotion: '', text: '', props: '' }
}

export function toEdit(seg: Segment): EditSegment {
  return {
    uid: nextUid++,
    kind: seg.kind,
    title: seg.title ?? '',
    minutes: seg.minutes,
    people: [...(seg.people ?? [])],
    products: [...(seg.products ?? [])],
    flash_sale_id: seg.flash_sale_id ?? null,
    flash: seg.flash ? { ...seg.flash } : null,
    promotion: seg.promotion ?? '',
    text: seg.text ?? '',
    props: seg.props ?? '',
  }
}

/**
 * The segment as the API takes it (the server refuses unknown fields); templates carry no
 * launched flash sale (a planned one they may).
 */
export function toSegment(e: EditSegment | Segment, { template = false } = {}): Segment {
  return {
    kind: e.kind,
    title: e.title,
    minutes: e.minutes,
    people: [...e.people],
    products: [...e.products],
    flash_sale_id: template ? null : e.flash_sale_id ?? null,
    flash: e.flash ? { ...e.flash } : null,
    promotion: e.promotion,
    text: e.text,
    props: e.props,
  }
}

export function totalMinutes(segs: readonly { minutes: number }[]): number {
  return segs.reduce((n, x) => n + (Number(x.minutes) || 0), 0)
}

/** Same segments (ignoring the editor's keys), for "unsaved changes". */
export function sameSegments(a: readonly (EditSegment | Segment)[], b: readonly (EditSegment | Segment)[]): boolean {
  return JSON.stringify(a.map((x) => toSegment(x))) === JSON.stringify(b.map((x) => toSegment(x)))
}

/** What to fix before a save, as an i18n key and its values, or null. The server checks again. */
export function firstProblem(segs: readonly Segment[]): { key: string; n: number } | null {
  if (!segs.length) return { key: 'console.scripts.problem.empty', n: 0 }
  for (let i = 0; i < segs.length; i++) {
    const x = segs[i]
    if (!x.title.trim()) return { key: 'console.scripts.problem.title', n: i + 1 }
    if (!Number.isInteger(x.minutes) || x.minutes < 1 || x.minutes > LIMITS.minutes) return { key: 'console.scripts.problem.minutes', n: i + 1 }
    if (x.flash && flashPlanProblem(x.flash)) return { key: 'console.scripts.problem.flash', n: i + 1 }
  }
  return null
}

/** Hits of one field, and the text they were found in (their offsets index into it). */
export interface FieldCheck {
  text: string
  hits: Hit[]
}
/** Checks by segment key, then field. */
export type Checks = Record<number, Partial<Record<CheckedField, FieldCheck>>>

/** The script's findings, keyed by the editor's segments (same order as `script.segments`). */
export function checksFromFindings(findings: SegmentFindings[], segs: EditSegment[]): Checks {
  const out: Checks = {}
  for (const seg of segs) {
    out[seg.uid] = {}
    for (const f of CHECKED_FIELDS) out[seg.uid][f] = { text: seg[f], hits: [] }
  }
  for (const f of findings) {
    const seg = segs[f.segment]
    if (!seg || !CHECKED_FIELDS.includes(f.field)) continue
    out[seg.uid][f.field] = { text: seg[f.field], hits: f.hits ?? [] }
  }
  return out
}

/**
 * Checks every field whose words changed since their last check (four at a time), and returns
 * the checks with theirs replaced. Empty fields have no hits without asking.
 */
export async function checkChanged(segs: readonly EditSegment[], checks: Checks): Promise<Checks> {
  const out: Checks = {}
  const due: { uid: number; field: CheckedField; text: string }[] = []
  for (const seg of segs) {
    out[seg.uid] = { ...checks[seg.uid] }
    for (const field of CHECKED_FIELDS) {
      const text = seg[field]
      if (checks[seg.uid]?.[field]?.text === text) continue
      if (!text.trim()) out[seg.uid][field] = { text, hits: [] }
      else due.push({ uid: seg.uid, field, text })
    }
  }
  for (let i = 0; i < due.length; i += 4) {
    const batch = due.slice(i, i + 4)
    const results = await Promise.all(batch.map((d) => checkText(d.text)))
    batch.forEach((d, k) => (out[d.uid][d.field] = { text: d.text, hits: results[k] }))
  }
  return out
}

export function countHits(checks: Checks): number {
  let n = 0
  for (const byField of Object.values(checks)) for (const c of Object.values(byField)) n += c?.hits.length ?? 0
  return n
}

// ---------------------------------------------------------------- the live run

/** Milliseconds to add to Date.now() to get the server's clock, from an answer's `server_now`. */
export function clockOffset(serverNow: string, sentAt: number, receivedAt: number): number {
  const server = Date.parse(serverNow)
  if (!Number.isFinite(server)) return 0
  return server - (sentAt + receivedAt) / 2
}

/** The run of the segment running now, if any. */
export function currentRun(script: Pick<Script, 'current' | 'runs'> | null | undefined): Run | null {
  if (!script || script.current === null || script.current === undefined) return null
  for (let i = script.runs.length - 1; i >= 0; i--) {
    const r = script.runs[i]
    if (r.position === script.current && !r.ended_at) return r
  }
  return null
}

/** Names in a row, as the language writes a list ("主播、助播" / "Host, Assistant"). */
export function joinList(items: readonly string[]): string {
  return items.join(currentLang.value === 'en' ? ', ' : '、')
}

/** A length as a timer shows it: "04:05", "75:00" (minutes run on past the hour), "-00:30". */
export function formatTimer(ms: number): string {
  const neg = ms < 0
  const s = Math.floor(Math.abs(ms) / 1000)
  const m = Math.floor(s / 60)
  return (neg ? '-' : '') + String(m).padStart(2, '0') + ':' + String(s % 60).padStart(2, '0')
}
