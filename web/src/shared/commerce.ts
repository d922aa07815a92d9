// Buying, shared by the viewer and the console: labels of order states, price lines, coupon and
// campaign rules and scopes, points reasons, through i18n (falling back to the server's text).
import type { Composer } from 'vue-i18n'
import type { CampaignRule, CouponRule, OrderState, PriceLine, PromoScope } from './types'
import { formatFen } from './format'

type T = Pick<Composer, 't' | 'te'>

/** A coupon rule as typed, or as a room's coupon card carries it. */
export type LooseCouponRule = CouponRule | { kind: string; off?: number; off_bp?: number; cap?: number | null; min_spend?: number }

/** Money without trailing zero fen: 15000 -> "¥150", 1550 -> "¥15.50". */
export function formatFenShort(fen: number | null | undefined): string {
  const s = formatFen(fen)
  return s.endsWith('.00') ? s.slice(0, -3) : s
}

function label(i: T, key: string, fallback: string): string {
  return i.te(key) ? i.t(key) : fallback
}

export function orderStateLabel(i: T, state: string): string {
  return label(i, 'commerce.orderState.' + state, state)
}

/** Element Plus / Vant tag tone of an order state. */
export function orderStateTone(state: OrderState | string): 'primary' | 'success' | 'warning' | 'danger' | 'info' {
  switch (state) {
    case 'pending_payment':
      return 'warning'
    case 'paid':
    case 'shipped':
    case 'delivered':
      return 'primary'
    case 'completed':
      return 'success'
    case 'refund_requested':
      return 'danger'
    default:
      return 'info'
  }
}

export function payMethodLabel(i: T, method: string | null | undefined): string {
  if (!method) return '—'
  return label(i, 'commerce.payMethod.' + method, method)
}

export function pointsReasonLabel(i: T, reason: string): string {
  return label(i, 'commerce.pointsReason.' + reason, reason)
}

export function actorLabel(i: T, actor: string): string {
  return label(i, 'commerce.actor.' + actor, actor)
}

/** What a coupon does: "满¥150减¥20", "无门槛减¥10", "9折，最高减¥30". */
export function couponRuleText(i: T, rule: LooseCouponRule): string {
  const r = rule as Record<string, number | null | undefined> & { kind: string }
  switch (r.kind) {
    case 'fixed':
      return i.t('commerce.rule.fixed', { off: formatFenShort(r.off ?? 0) })
    case 'percent': {
      const text = i.t('commerce.rule.percent', { pct: trimNum((r.off_bp ?? 0) / 100), zhe: trimNum((10000 - (r.off_bp ?? 0)) / 1000) })
      return r.cap ? text + i.t('commerce.rule.cap', { cap: formatFenShort(r.cap) }) : text
    }
    case 'threshold':
      return i.t('commerce.rule.threshold', { min: formatFenShort(r.min_spend ?? 0), off: formatFenShort(r.off ?? 0) })
    default:
      return r.kind
  }
}

/** The big figure on a coupon ticket: "¥20" or "9折" / "10% off". */
export function couponFace(i: T, rule: LooseCouponRule): string {
  const r = rule as Record<string, number | null | undefined> & { kind: string }
  if (r.kind === 'percent') return i.t('commerce.rule.percentFace', { pct: trimNum((r.off_bp ?? 0) / 100), zhe: trimNum((10000 - (r.off_bp ?? 0)) / 1000) })
  return formatFenShort(r.off ?? 0)
}

/** The condition under a ticket's figure: "满¥150可用" or "无门槛". */
export function couponCondition(i: T, rule: LooseCouponRule): string {
  const r = rule as Record<string, number | null | undefined> & { kind: string }
  if (r.kind === 'threshold') return i.t('commerce.rule.minSpend', { min: formatFenShort(r.min_spend ?? 0) })
  if (r.kind === 'percent' && r.cap) return i.t('commerce.rule.capShort', { cap: formatFenShort(r.cap) })
  return i.t('commerce.rule.noThreshold')
}

export function campaignRuleText(i: T, rule: CampaignRule): string {
  if (rule.kind === 'tiered') {
    return rule.tiers.map((t) => i.t('commerce.rule.threshold', { min: formatFenShort(t.min_spend), off: formatFenShort(t.off) })).join(' / ')
  }
  const text = i.t('commerce.rule.everyFull', { every: formatFenShort(rule.every), off: formatFenShort(rule.off) })
  return rule.cap ? text + i.t('commerce.rule.cap', { cap: formatFenShort(rule.cap) }) : text
}

export function scopeText(i: T, scope: Partial<PromoScope> & { kind: string }): string {
  const ids = (scope as { ids?: number[] }).ids ?? []
  const kind: string = scope.kind
  switch (kind) {
    case 'all':
      return i.t('commerce.scope.all')
    case 'products':
      return i.t('commerce.scope.products', { n: ids.length })
    case 'categories':
      return i.t('commerce.scope.categories', { n: ids.length })
    default:
      return kind
  }
}

/**
 * A price line as people read it: the kind in the page's language, and what the server's label
 * adds (the campaign's or coupon's name, the member tier, the points spent).
 */
export function priceLineText(i: T, line: PriceLine, pointsUsed?: number): { label: string; detail: string } {
  // a flash sale's price comes as a live_price line labelled 秒杀价
  const kind = line.kind === 'live_price' && /秒杀|flash/i.test(line.label) ? 'flash' : line.kind
  const kindLabel = label(i, 'commerce.priceLine.' + kind, line.label)
  let detail = ''
  switch (line.kind) {
    case 'campaign':
      detail = line.label.replace(/^满减\s*/, '')
      break
    case 'coupon':
      detail = line.label.replace(/^优惠券\s*/, '')
      break
    case 'membership': {
      const m = /^会员\s+(.*?)\s+member discount$/.exec(line.label)
      detail = m ? m[1] : line.label
      break
    }
    case 'points': {
      const m = /(\d+)/.exec(line.label)
      const n = pointsUsed ?? (m ? Number(m[1]) : 0)
      detail = n ? i.t('commerce.pointsCount', { n }) : ''
      break
    }
    default:
  }
  return { label: kindLabel, detail }
}

/** "色号: 01 正红 · 规格: 30ml" */
export function attributesText(attrs: Record<string, string> | null | undefined): string {
  if (!attrs) return ''
  return Object.entries(attrs)
    .map(([k, v]) => `${k}: ${v}`)
    .join(' · ')
}

/** Seconds left until `iso` (never below 0). */
export function secondsUntil(iso: string | null | undefined, now = Date.now()): number {
  if (!iso) return 0
  const t = new Date(iso).getTime()
  if (Number.isNaN(t)) return 0
  return Math.max(0, Math.floor((t - now) / 1000))
}

/** 905 -> "15:05"; an hour or more -> "1:02:03". */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  const mm = String(m).padStart(2, '0')
  const ss = String(sec).padStart(2, '0')
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`
}

/** Basis points off as people say it: 500 -> { pct: "5", zhe: "9.5" } (95折). */
export function discountParams(offBp: number): { pct: string; zhe: string } {
  return { pct: trimNum(offBp / 100), zhe: trimNum((10000 - offBp) / 1000) }
}

function trimNum(n: number): string {
  return String(Math.round(n * 100) / 100)
}

/** Below this many units the room says "仅剩 N 件" instead of the plain stock. */
export const LOW_STOCK = 50
