// 合规检查 (advertising-law check): the API's shapes under /api/v1/compliance and the pieces of
// the page that are plain logic (highlight segments, counting characters, rule import/export).

export const GOODS = ['ordinary', 'cosmetics', 'food', 'health_food', 'apparel'] as const
export type Goods = (typeof GOODS)[number]

export const CATEGORIES = ['absolute', 'endorsement', 'medical', 'cosmetics', 'efficacy', 'urgency', 'price', 'superstition', 'discrimination', 'custom'] as const

export type Severity = 'block' | 'warn'
export const SEVERITIES: Severity[] = ['block', 'warn']

/** The longest text one check reads, in characters (Unicode code points, as the server counts). */
export const MAX_CHECK_CHARS = 100_000

export interface Hit {
  rule: string
  category: string
  severity: Severity
  /** UTF-16 code units (JavaScript string indices) into the checked text. */
  start: number
  end: number
  text: string
  article: string
  message: string
  suggestion: string
  replacement: string | null
}

export interface CheckResult {
  passed: boolean
  hits: Hit[]
  suggested_text: string
}

export type FindingKind = 'product' | 'coupon' | 'campaign' | 'session'

export interface Finding {
  kind: FindingKind
  id: number
  field: 'title' | 'description' | 'name'
  label: string
  hits: Hit[]
}

export interface ScanResult {
  checked: number
  findings: Finding[]
}

/** A rule as created, replaced, imported and exported. */
export interface RuleInput {
  code: string
  category: string
  pattern: string
  allow: string[]
  article: string
  message: string
  suggestion: string
  replacements: Record<string, string>
  severity: Severity
  goods: string[]
  example: string
  clean_example: string
  enabled: boolean
}

export interface Rule extends RuleInput {
  /** Shipped with sellstream: edited or disabled, never deleted. */
  starter: boolean
  updated_at: string
}

/** The rule as the API takes it (without `starter` and `updated_at`), fields in a fixed order. */
export function ruleInput(r: Rule | RuleInput): RuleInput {
  return {
    code: r.code,
    category: r.category,
    pattern: r.pattern,
    allow: [...(r.allow ?? [])],
    article: r.article,
    message: r.message,
    suggestion: r.suggestion,
    replacements: { ...(r.replacements ?? {}) },
    severity: r.severity,
    goods: [...(r.goods ?? [])],
    example: r.example,
    clean_example: r.clean_example ?? '',
    enabled: r.enabled !== false,
  }
}

/**
 * The rules of an import file: `{rules: [...]}` (what the export writes), `{items: [...]}` (what
 * GET /compliance/rules answers) or a bare array. `starter` and `updated_at` are dropped (the
 * server refuses unknown fields); anything else is sent as it is, for the server to judge.
 * Null when the file holds no list of rules.
 */
export function rulesFromFile(data: unknown): Record<string, unknown>[] | null {
  let list: unknown = null
  if (Array.isArray(data)) list = data
  else if (data && typeof data === 'object') {
    const o = data as Record<string, unknown>
    list = Array.isArray(o.rules) ? o.rules : Array.isArray(o.items) ? o.items : null
  }
  if (!Array.isArray(list)) return null
  return list.map((r) => {
    if (!r || typeof r !== 'object' || Array.isArray(r)) return r as Record<string, unknown>
    const { starter: _s, updated_at: _u, ...rest } = r as Record<string, unknown>
    return rest
  })
}

/** Characters as the server counts them (code points; a surrogate pair is one). */
export function countChars(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) i++
    }
    n++
  }
  return n
}

/** A piece of the checked text: plain, or covered by one or more hits (indices into `hits`). */
export interface Segment {
  start: number
  end: number
  text: string
  /** Indices of the hits covering the whole piece, in the order of `hits`. */
  hits: number[]
  /** The most severe of them; null for plain text. */
  severity: Severity | null
}

/**
 * The text cut at every hit's start and end, so that overlapping hits (two rules flagging
 * overlapping words) each colour their own part: every piece is either inside a hit or not, and
 * takes the most severe of the hits covering it. Offsets out of range are clamped.
 */
export function segments(text: string, hits: Hit[]): Segment[] {
  const len = text.length
  const clamp = (n: number) => Math.max(0, Math.min(len, Math.floor(Number(n) || 0)))
  const cuts = new Set<number>([0, len])
  const spans = hits.map((h) => {
    const a = clamp(h.start)
    const b = Math.max(a, clamp(h.end))
    cuts.add(a)
    cuts.add(b)
    return [a, b] as const
  })
  const points = [...cuts].sort((x, y) => x - y)
  const out: Segment[] = []
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]
    const b = points[i + 1]
    if (a === b) continue
    const covering: number[] = []
    let severity: Severity | null = null
    spans.forEach(([s, e], k) => {
      if (s <= a && b <= e) {
        covering.push(k)
        if (hits[k].severity === 'block') severity = 'block'
        else if (severity === null) severity = 'warn'
      }
    })
    const prev = out[out.length - 1]
    // neighbouring plain pieces (none here, but cheap to keep it tidy) merge
    if (prev && !covering.length && !prev.hits.length) {
      prev.end = b
      prev.text = text.slice(prev.start, b)
      continue
    }
    out.push({ start: a, end: b, text: text.slice(a, b), hits: covering, severity })
  }
  return out
}

/** Replaces `start..end` (UTF-16 indices) of `text` with `by`. */
export function replaceRange(text: string, start: number, end: number, by: string): string {
  return text.slice(0, start) + by + text.slice(end)
}
