// How each analytics figure is shown: counts grouped, money from fen, rates as percentages ("—"
// when the server says null: nothing to divide by), durations in minutes and seconds.

import { formatDateTime, formatFen, formatTime } from '@shared/format'
import { PRODUCT_FIGURE_KEYS, type MetricKey, type Metrics, type ProductFigureKey, type ProductTrendKey, type Rate, type TrendKey, type TrendRow } from './types'

export type MetricKind = 'count' | 'money' | 'rate' | 'duration'

export const METRIC_KIND: Record<MetricKey, MetricKind> = {
  uv: 'count',
  pv: 'count',
  entries: 'count',
  uv_all: 'count',
  pcu: 'count',
  acu: 'count',
  total_watch_ms: 'duration',
  avg_watch_ms: 'duration',
  comments: 'count',
  likes: 'count',
  shares: 'count',
  follows: 'count',
  interaction_viewers: 'count',
  interaction_rate: 'rate',
  follower_conversion: 'rate',
  product_exposures: 'count',
  product_clicks: 'count',
  orders: 'count',
  buyers: 'count',
  order_fen: 'money',
  paid_orders: 'count',
  paid_buyers: 'count',
  paid_fen: 'money',
  gmv_fen: 'money',
  refunds: 'count',
  refund_fen: 'money',
  aov_fen: 'money',
  uv_value_fen: 'money',
  gpm_fen: 'money',
  conversion: 'rate',
  refund_rate: 'rate',
}

export const PRODUCT_FIGURE_KIND: Record<ProductFigureKey, MetricKind> = {
  exposures: 'count',
  clicks: 'count',
  ctr: 'rate',
  carts: 'count',
  orders: 'count',
  units: 'count',
  paid_orders: 'count',
  gmv_fen: 'money',
  refund_fen: 'money',
  click_conversion: 'rate',
  gmv_share: 'rate',
}

/** Trend keys of a product's own figures: `product.gmv_fen`, … */
const PRODUCT_PREFIX = 'product.'

/** The product figure a trend key names, or null for a session metric. */
export function productFigure(key: TrendKey | string): ProductFigureKey | null {
  if (!key.startsWith(PRODUCT_PREFIX)) return null
  const f = key.slice(PRODUCT_PREFIX.length)
  return f in PRODUCT_FIGURE_KIND ? (f as ProductFigureKey) : null
}

export function isProductTrendKey(key: TrendKey | string): key is ProductTrendKey {
  return productFigure(key) !== null
}

export function metricKind(key: string): MetricKind {
  const f = productFigure(key)
  if (f) return PRODUCT_FIGURE_KIND[f]
  return METRIC_KIND[key as MetricKey] ?? 'count'
}

/** A trend row's figure: a session metric, or the product's own (`product.…`); null if absent. */
export function trendValue(row: TrendRow, key: TrendKey): number | null {
  const f = productFigure(key)
  const v = f ? row.product?.[f] : row.metrics?.[key as MetricKey]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/** A trend figure's name ("商品GMV" for `product.gmv_fen`, "成交金额 GMV" for `gmv_fen`). */
export function trendMetricName(key: TrendKey, t: (key: string) => string): string {
  const f = productFigure(key)
  return t(f ? 'console.analytics.productFigure.' + f : 'console.analytics.metric.' + key)
}

/** Figures where less is better (the comparison highlights the lowest). */
export const LOWER_IS_BETTER = new Set<MetricKey>(['refunds', 'refund_fen', 'refund_rate'])

/** The review's cards, by group. */
export const METRIC_GROUPS: { key: 'traffic' | 'interaction' | 'sales'; metrics: MetricKey[] }[] = [
  { key: 'traffic', metrics: ['uv', 'pv', 'entries', 'uv_all', 'pcu', 'acu', 'total_watch_ms', 'avg_watch_ms'] },
  { key: 'interaction', metrics: ['comments', 'likes', 'shares', 'follows', 'interaction_viewers', 'interaction_rate', 'follower_conversion'] },
  {
    key: 'sales',
    metrics: [
      'gmv_fen',
      'paid_orders',
      'paid_buyers',
      'paid_fen',
      'orders',
      'buyers',
      'order_fen',
      'aov_fen',
      'uv_value_fen',
      'gpm_fen',
      'conversion',
      'product_exposures',
      'product_clicks',
      'refunds',
      'refund_fen',
      'refund_rate',
    ],
  },
]

/** Columns the comparison list sorts by on the server. */
export const SORTABLE: string[] = [
  'started_at',
  'uv',
  'pv',
  'pcu',
  'avg_watch_ms',
  'gmv_fen',
  'orders',
  'conversion',
  'aov_fen',
  'uv_value_fen',
  'gpm_fen',
  'refund_rate',
  'interaction_rate',
]

/** Session metrics offered by the trend's metric picker. */
export const TREND_METRICS: MetricKey[] = [
  'gmv_fen',
  'uv',
  'pv',
  'pcu',
  'orders',
  'paid_orders',
  'buyers',
  'conversion',
  'aov_fen',
  'uv_value_fen',
  'gpm_fen',
  'avg_watch_ms',
  'interaction_rate',
  'refund_rate',
]

/** The product's own figures offered by the trend's metric picker (by product, or filtered to one). */
export const PRODUCT_TREND_METRICS: ProductTrendKey[] = PRODUCT_FIGURE_KEYS.map((k) => `product.${k}` as const)

export function formatInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—'
  return Math.round(n).toLocaleString('en-US')
}

export function formatRate(r: Rate | undefined, digits = 1): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '—'
  return (r * 100).toFixed(digits) + '%'
}

/** 192000 -> "3分12秒" (zh) / "3m 12s" (en); an hour or more with hours. */
export function formatDuration(ms: number | null | undefined, lang: string): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  const s = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  const zh = lang.startsWith('zh')
  if (zh) {
    if (h) return `${h}小时${m}分`
    if (m) return `${m}分${sec}秒`
    return `${sec}秒`
  }
  if (h) return `${h}h ${m}m`
  if (m) return `${m}m ${sec}s`
  return `${sec}s`
}

export function formatMetric(key: TrendKey | string, value: number | null | undefined, lang: string): string {
  const kind = metricKind(key)
  if (value === null || value === undefined) return '—'
  switch (kind) {
    case 'money':
      return formatFen(value)
    case 'rate':
      return formatRate(value)
    case 'duration':
      return formatDuration(value, lang)
    default:
      // ACU is an average: a small one keeps a decimal
      if (key === 'acu' && value < 100 && !Number.isInteger(value)) return value.toFixed(1)
      return formatInt(value)
  }
}

export function metricValue(m: Metrics | null | undefined, key: MetricKey): number | null {
  const v = m?.[key]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/** Epoch ms -> "2026/11/20 20:00" in the brand's time zone. */
export function formatMs(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : formatDateTime(new Date(ms))
}

/** Epoch ms -> "20:05" in the brand's time zone. */
export function formatMinute(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : formatTime(new Date(ms))
}

/** A value for a chart axis: money in yuan, rates in percent, durations in seconds. */
export function chartValue(key: TrendKey | string, v: number | null | undefined): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null
  switch (metricKind(key)) {
    case 'money':
      return Math.round(v) / 100
    case 'rate':
      return Math.round(v * 10000) / 100
    case 'duration':
      return Math.round(v / 100) / 10
    default:
      return v
  }
}
