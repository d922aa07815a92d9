// Answers of the analytics endpoints (`/api/v1/analytics/…`, staff only). Times are epoch
// milliseconds (UTC), money integer fen, rates 0..1 or null when the denominator is 0.

import type { SessionState } from '@shared/types'

export type Rate = number | null

export interface AnalyticsSession {
  id: number
  title: string
  channel: string
  state: SessionState
  started_at: number | null
  ended_at: number | null
  host: { id: number; name: string } | null
  scheduled_start?: number
  duration_ms?: number | null
  targets?: { gmv_fen?: number | null; viewers?: number | null; orders?: number | null } | null
}

export interface MinuteRow {
  minute: number
  online_max: number
  entries: number
  views: number
  comments: number
  likes: number
  clicks: number
  orders: number
  paid_orders: number
  gmv_fen: number
}

export type MarkerKind = 'pin' | 'flash_sale'

export interface Marker {
  at: number
  kind: MarkerKind | string
  label: string
  product_id?: number | null
}

export interface LiveTopProduct {
  product_id: number
  title: string
  clicks: number
  orders: number
  units: number
  gmv_fen: number
}

export interface LiveFlashSale {
  id: number
  product_id: number
  title: string
  quota: number
  sold: number
  remaining: number
  phase: string
}

export interface LiveDashboard {
  session: AnalyticsSession
  updated_at: number
  online: number
  pcu: number
  entries: number
  uv: number
  pv: number
  avg_watch_ms: number | null
  comments_per_min: number
  likes_per_min: number
  comments: number
  likes: number
  shares: number
  follows: number
  product_clicks: number
  orders: number
  paid_orders: number
  gmv_fen: number
  conversion: Rate
  top_products: LiveTopProduct[]
  flash_sales: LiveFlashSale[]
  minutes: MinuteRow[]
  markers: Marker[]
}

/** Every figure of a session's review, the comparison list and the trend rows. */
export const METRIC_KEYS = [
  'uv',
  'pv',
  'entries',
  'uv_all',
  'pcu',
  'acu',
  'total_watch_ms',
  'avg_watch_ms',
  'comments',
  'likes',
  'shares',
  'follows',
  'interaction_viewers',
  'interaction_rate',
  'follower_conversion',
  'product_exposures',
  'product_clicks',
  'orders',
  'buyers',
  'order_fen',
  'paid_orders',
  'paid_buyers',
  'paid_fen',
  'gmv_fen',
  'refunds',
  'refund_fen',
  'aov_fen',
  'uv_value_fen',
  'gpm_fen',
  'conversion',
  'refund_rate',
] as const

export type MetricKey = (typeof METRIC_KEYS)[number]
export type Metrics = Partial<Record<MetricKey, number | null>>

export interface TargetRow {
  metric: 'gmv_fen' | 'viewers' | 'orders' | string
  target: number
  actual: number
  ratio: Rate
}

export type FunnelStep = 'impression' | 'entry' | 'product_exposure' | 'click' | 'order' | 'paid'

export interface FunnelRow {
  step: FunnelStep | string
  viewers: number
  /** From the previous step. */
  rate: Rate
  /** From the first step. */
  overall: Rate
}

export interface ReportProduct {
  product_id: number
  title: string
  exposures: number
  /** Distinct viewers who saw it (not every server sends it). */
  exposure_uv?: number | null
  clicks: number
  click_uv?: number | null
  ctr: Rate
  carts: number
  orders: number
  units: number
  paid_orders?: number
  paid_units?: number
  gmv_fen: number
  refund_fen: number
  explained_ms: number
}

export interface WatchBucket {
  label: string
  from_ms: number
  to_ms: number | null
  viewers: number
}

export interface ReplayFigures {
  uv: number
  pv: number
  total_watch_ms: number
  avg_watch_ms: number | null
  orders: number
  gmv_fen: number
}

export interface Denominator {
  metric: string
  ours: number
  raw: number
  note: string
}

export interface SessionReport {
  session: AnalyticsSession
  metrics: Metrics
  targets: TargetRow[]
  funnel: FunnelRow[]
  minutes: MinuteRow[]
  markers: Marker[]
  products: ReportProduct[]
  watch_distribution: WatchBucket[]
  replay: ReplayFigures | null
  denominators: Denominator[]
  /** The run of show (直播脚本) planned against how it ran; empty without a script. */
  segments: SegmentRow[]
}

/** One segment of the session's script: planned and actual time, and the figures of its minutes. */
export interface SegmentRow {
  position: number
  kind: string
  title: string
  planned_ms: number
  actual_ms: number
  /** Actual less planned (positive: ran over); null when it never ran. */
  over_ms: number | null
  ran: boolean
  started_at: number | null
  ended_at: number | null
  peak_online: number
  views: number
  comments: number
  likes: number
  clicks: number
  paid_orders: number
  gmv_fen: number
}

export interface SessionMetricsRow {
  session: AnalyticsSession
  metrics: Metrics
}

export interface SessionMetricsPage {
  items: SessionMetricsRow[]
  total: number
}

export type TrendBy = 'day' | 'week' | 'month' | 'host' | 'product' | 'channel'

/** A product's own figures in a trend row (by product, or with `product=`), summed over the
 *  row's sessions that showed it. */
export interface ProductFigures {
  exposures: number
  clicks: number
  /** Clicks ÷ exposures. */
  ctr: Rate
  carts: number
  orders: number
  units: number
  paid_orders: number
  /** Paid less refunded. */
  gmv_fen: number
  refund_fen: number
  /** Paid orders ÷ clicks. */
  click_conversion: Rate
  /** The product's GMV ÷ its sessions' GMV. */
  gmv_share: Rate
}

export type ProductFigureKey = keyof ProductFigures

/** The product figures the trend offers, in the order shown. */
export const PRODUCT_FIGURE_KEYS = [
  'gmv_fen',
  'gmv_share',
  'paid_orders',
  'orders',
  'units',
  'carts',
  'clicks',
  'exposures',
  'ctr',
  'click_conversion',
  'refund_fen',
] as const satisfies readonly ProductFigureKey[]

/** A figure of a trend row: a session metric, or `product.<figure>` for the product's own. */
export type ProductTrendKey = `product.${ProductFigureKey}`
export type TrendKey = MetricKey | ProductTrendKey

export interface TrendRow {
  key: string
  label: string
  sessions: number
  /** The metrics of the row's sessions. */
  metrics: Metrics
  /** By product, or filtered to one product: that product's own figures. */
  product?: ProductFigures
}

export interface Trend {
  by: TrendBy
  rows: TrendRow[]
}
