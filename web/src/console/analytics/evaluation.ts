// Answers of the evaluation endpoints (docs/analytics-evaluation.md, docs/customer-value.md) and how
// their figures are shown: before/after, correlation and its matrix, attribution of orders, and
// customer value tiers. Money is integer fen, rates 0..1, times epoch ms unless said otherwise.

import { utcToWall, wallToUtc } from '@shared/format'
import { formatDuration, formatInt, metricKind } from './metrics'
import { formatFen } from '@shared/format'

// ---------- before/after ----------

/** A group of sessions: by time, channel and host, or an explicit list (within the other filters). */
export interface Group {
  from?: number
  to?: number
  channel?: string
  host?: number
  session_ids?: number[]
}

export interface Side {
  /** Sessions in the group. */
  n: number
  /** The mean per session, or the pooled rate. */
  value: number | null
  /** Rates: numerator and denominator summed over the group. */
  count?: number
  base?: number
  /** Means: the median. */
  median?: number
}

export type Verdict = 'up' | 'down' | 'no_clear_change' | 'not_enough_data'

export interface MetricComparison {
  metric: string
  kind: 'mean' | 'rate'
  before: Side
  after: Side
  change: number | null
  relative: number | null
  ci_low: number | null
  ci_high: number | null
  effect_size: number | null
  test: 'welch_t' | 'two_proportion_z' | string
  p: number | null
  mann_whitney_p?: number | null
  verdict: Verdict | string
  summary: string
}

export interface Factors {
  gmv_fen: number
  uv: number
  paid_buyers: number
  conversion: number
  aov_fen: number
}

export interface Decomposition {
  before: Factors
  after: Factors
  change_fen: number
  uv_effect_fen: number
  conversion_effect_fen: number
  aov_effect_fen: number
  main_factor: 'uv' | 'conversion' | 'aov' | null
  method: 'lmdi' | 'sequential' | string
}

export interface Comparison {
  metrics: MetricComparison[]
  decomposition: Decomposition
  alpha?: number
  min_sessions?: number
}

/** Fewer sessions than this in a group: no verdict (the server's MIN_SESSIONS). */
export const MIN_SESSIONS = 3
/** Fewer viewers than this in a group: no verdict for a rate (the server's MIN_VIEWERS). */
export const MIN_VIEWERS = 100
/** Correlation needs this many sessions for a strength (MIN_SESSIONS + 2). */
export const MIN_CORRELATION = 5

// ---------- correlation ----------

export interface Coefficient {
  r: number
  p: number
}

export interface CorrelationPoint {
  session_id: number
  title: string
  x: number
  y: number
}

export type Strength = 'strong' | 'moderate' | 'weak' | 'none' | 'not_enough_data'

export interface CorrelationReport {
  x: string
  y: string
  n: number
  pearson: Coefficient | null
  spearman: Coefficient | null
  line: { slope: number; intercept: number } | null
  points: CorrelationPoint[]
  strength: Strength | string
  caution: string
}

export interface CorrelationMatrix {
  metrics: string[]
  n: number
  pearson: (number | null)[][]
  spearman: (number | null)[][]
  spearman_p: (number | null)[][]
  pairs: number[][]
  caution: string
}

/** The figures the correlation pickers offer (session metrics the server knows). */
export const CORRELATION_METRICS = [
  'uv',
  'pv',
  'pcu',
  'acu',
  'avg_watch_ms',
  'comments',
  'likes',
  'shares',
  'follows',
  'interaction_rate',
  'product_exposures',
  'product_clicks',
  'orders',
  'paid_orders',
  'paid_buyers',
  'conversion',
  'aov_fen',
  'uv_value_fen',
  'gpm_fen',
  'gmv_fen',
  'refund_rate',
] as const

// ---------- attribution ----------

export type TouchKind = 'flash_sale' | 'coupon' | 'campaign' | 'link'

export interface Touch {
  kind: TouchKind | string
  id: number | null
  code: string | null
  name: string
  orders: number
  buyers: number
  gmv_fen: number
  credited_orders: number
  credited_gmv_fen: number
}

export interface Attribution {
  from: number
  to: number
  window_ms: number
  priority: string[]
  orders: number
  gmv_fen: number
  touches: Touch[]
  organic_orders: number
  organic_gmv_fen: number
}

// ---------- customer value ----------

export type Tier = 'high' | 'medium' | 'low'
export const TIERS: Tier[] = ['high', 'medium', 'low']

export interface Movement {
  /** null: new to the tiers. */
  from: Tier | null
  /** null: no longer tiered (account removed). */
  to: Tier | null
  customers: number
}

export interface ValueRun {
  id: number
  source: 'manual' | 'schedule' | string
  by_id?: number | null
  /** RFC 3339. */
  as_of: string
  customers: number
  high: number
  medium: number
  low: number
  movements: Movement[]
  took_ms: number
}

export interface ValueOverview {
  /** Customers per tier now (a tier with none may be left out). */
  sizes: Partial<Record<Tier, number>>
  runs: ValueRun[]
}

export interface CustomerValue {
  account_id: number
  nickname: string
  phone: string | null
  recency_days: number | null
  frequency: number
  monetary_fen: number
  watch_ms: number
  comments: number
  r: number
  f: number
  m: number
  i: number
  score: number
  tier: Tier | string
  previous_tier: Tier | string | null
}

export interface Members {
  items: CustomerValue[]
  total: number
}

const TIER_RANK: Record<string, number> = { high: 3, medium: 2, low: 1 }
/** +1 moved up, −1 down, 0 stayed; null for new or removed. */
export function movementDirection(from: string | null, to: string | null): 1 | -1 | 0 | null {
  if (!from || !to) return null
  const d = (TIER_RANK[to] ?? 0) - (TIER_RANK[from] ?? 0)
  return d > 0 ? 1 : d < 0 ? -1 : 0
}

/** Ups, downs, stays, new and removed of a run. */
export function movementSummary(m: Movement[]): { up: number; down: number; stayed: number; joined: number; left: number } {
  const out = { up: 0, down: 0, stayed: 0, joined: 0, left: 0 }
  for (const x of m) {
    if (x.from === null) out.joined += x.customers
    else if (x.to === null) out.left += x.customers
    else {
      const d = movementDirection(x.from, x.to)
      if (d === 1) out.up += x.customers
      else if (d === -1) out.down += x.customers
      else out.stayed += x.customers
    }
  }
  return out
}

// ---------- periods: days in the brand's time zone ----------

export function today(): string {
  return utcToWall(new Date().toISOString()).slice(0, 10)
}

export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10)
}

export const DAY_RE = /^\d{4}-\d{2}-\d{2}$/

/** The last `days` days up to today, as [first, last]. */
export function lastDays(days: number, endOffset = 0): [string, string] {
  const end = addDays(today(), -endOffset)
  return [addDays(end, -(days - 1)), end]
}

/** Start of the first day and end of the last (epoch ms), in the brand's time zone. */
export function dayRange(dates: [string, string] | null | undefined): { from?: number; to?: number } {
  if (!dates) return {}
  return { from: Date.parse(wallToUtc(dates[0] + ' 00:00')), to: Date.parse(wallToUtc(addDays(dates[1], 1) + ' 00:00')) }
}

// ---------- numbers ----------

/** A p-value: "< 0.001", else three decimals; "—" without one. */
export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—'
  if (p < 0.001) return '< 0.001'
  return p.toFixed(3)
}

/** "p = 0.012", "p < 0.001", "p = —". */
export function pLabel(p: number | null | undefined): string {
  const s = formatP(p)
  return s.startsWith('<') ? 'p ' + s : 'p = ' + s
}

/** A coefficient with its sign: "+0.82", "−0.31". */
export function formatCoef(r: number | null | undefined, digits = 2): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '—'
  const s = Math.abs(r).toFixed(digits)
  return (r < 0 ? '−' : r > 0 ? '+' : '') + s
}

/** A relative change: "+12.3%". */
export function formatRelative(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  const s = (Math.abs(v) * 100).toFixed(1)
  return (v < 0 ? '−' : v > 0 ? '+' : '±') + s + '%'
}

/** A per-session mean or a pooled rate, in the metric's unit (counts keep one decimal). */
export function formatLevel(metric: string, v: number | null | undefined, lang: string): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  switch (metricKind(metric)) {
    case 'money':
      return formatFen(v)
    case 'rate':
      return (v * 100).toFixed(2) + '%'
    case 'duration':
      return formatDuration(v, lang)
    default:
      return Math.abs(v) >= 1000 || Number.isInteger(v) ? formatInt(v) : v.toFixed(1)
  }
}

/**
 * A difference in the metric's unit, with its sign: money in ¥, rates in percentage points
 * (`pp`: the unit's label), durations in minutes and seconds, counts with one decimal.
 */
export function formatDelta(metric: string, v: number | null | undefined, lang: string, pp: string): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  const sign = v < 0 ? '−' : v > 0 ? '+' : '±'
  const a = Math.abs(v)
  switch (metricKind(metric)) {
    case 'money':
      return sign + formatFen(a)
    case 'rate':
      return sign + (a * 100).toFixed(2) + ' ' + pp
    case 'duration':
      return sign + formatDuration(a, lang)
    default:
      return sign + (a >= 1000 || Number.isInteger(a) ? formatInt(a) : a.toFixed(1))
  }
}

/** Scales a figure for a chart axis: money in yuan, rates in percent, durations in seconds. */
export function axisValue(metric: string, v: number): number {
  switch (metricKind(metric)) {
    case 'money':
      return v / 100
    case 'rate':
      return v * 100
    case 'duration':
      return v / 1000
    default:
      return v
  }
}

/**
 * A metric's name on the evaluation pages: the short names of the before/after metrics
 * (`console.evaluation.metric`), else the analytics name of the figure.
 */
export function evalMetricName(t: (key: string) => string, key: string): string {
  const path = 'console.evaluation.metric.' + key
  const own = t(path)
  return own && own !== path ? own : t('console.analytics.metric.' + key)
}
