// Flash sales (秒杀), shared by the viewer's room and the console's room page: the phase of a sale
// at a moment, its countdown, and the words for a refused buy.
import type { Composer } from 'vue-i18n'
import { ApiError } from './api'
import { describeError } from './errors'
import type { Lang } from './messages'
import type { FlashPhase } from './types'

type T = Pick<Composer, 't'>

/** What a sale needs to tell its phase: the server's last word, its times and units left. */
export interface FlashTiming {
  phase: FlashPhase | string
  starts_at: string
  ends_at: string
  remaining: number
  ended_at?: string | null
}

function ms(iso: string | null | undefined): number {
  if (!iso) return NaN
  return new Date(iso).getTime()
}

/**
 * The phase of a sale at `now` (ms). The server's `ended` is final; otherwise the times decide
 * (the room counts down by itself, it is not told when a sale starts) and then the units left.
 */
export function flashPhase(sale: FlashTiming, now = Date.now()): FlashPhase {
  if (sale.phase === 'ended' || sale.ended_at) return 'ended'
  const ends = ms(sale.ends_at)
  if (Number.isFinite(ends) && now >= ends) return 'ended'
  const starts = ms(sale.starts_at)
  if (Number.isFinite(starts) && now < starts) return 'upcoming'
  return sale.remaining <= 0 ? 'sold_out' : 'running'
}

/** Milliseconds to the next moment that matters: the start while upcoming, else the end. */
export function flashMsLeft(sale: FlashTiming, now = Date.now()): number {
  const phase = flashPhase(sale, now)
  if (phase === 'ended') return 0
  const target = phase === 'upcoming' ? ms(sale.starts_at) : ms(sale.ends_at)
  return Number.isFinite(target) ? Math.max(0, target - now) : 0
}

/** A countdown as the sale's card shows it: "00:05", "09:59", "1:02:03" (seconds rounded up). */
export function flashClock(msLeft: number): string {
  const s = Math.max(0, Math.ceil(msLeft / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  const mm = String(m).padStart(2, '0')
  const ss = String(sec).padStart(2, '0')
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`
}

/** Sales in the order a room shows them: selling first (ending soonest), then counting down, then sold out. */
export function sortFlashSales<S extends FlashTiming & { id: number }>(sales: S[], now = Date.now()): S[] {
  const rank: Record<FlashPhase, number> = { running: 0, upcoming: 1, sold_out: 2, ended: 3 }
  return [...sales].sort((a, b) => {
    const pa = flashPhase(a, now)
    const pb = flashPhase(b, now)
    if (pa !== pb) return rank[pa] - rank[pb]
    const ka = pa === 'upcoming' ? ms(a.starts_at) : ms(a.ends_at)
    const kb = pb === 'upcoming' ? ms(b.starts_at) : ms(b.ends_at)
    return (ka || 0) - (kb || 0) || a.id - b.id
  })
}

/** Share of the quota sold, 0–100. */
export function flashSoldPct(quota: number, remaining: number): number {
  if (quota <= 0) return 0
  return Math.min(100, Math.max(0, Math.round(((quota - Math.max(0, remaining)) * 100) / quota)))
}

/** Seconds to wait after a 429: the Retry-After header, or what the message says ("try again in 0.3 s"). */
export function retryAfterSecs(e: unknown): number | null {
  if (!(e instanceof ApiError) || e.status !== 429) return null
  if (e.retryAfter) return e.retryAfter
  const m = /in\s+([0-9]+(?:\.[0-9]+)?)\s*s/i.exec(e.message)
  return m ? Number(m[1]) : null
}

/** What went wrong with a flash-sale buy, and what it means for the sheet. */
export interface FlashRefusal {
  /** `sold_out`, `only_left`, `not_started`, `ended`, `limit`, `members_only`, `busy`, `other`. */
  kind: 'sold_out' | 'only_left' | 'not_started' | 'ended' | 'limit' | 'members_only' | 'busy' | 'other'
  message: string
  /** Units left when the server said "only N left". */
  left?: number
  /** Seconds to wait before tapping again (429). */
  wait?: number
}

/**
 * The words for a refused flash-sale buy (409 out_of_stock / illegal_transition, 422 limit or
 * members only, 429 too many taps) in the page's language; other errors as usual.
 */
export function describeFlashError(i: T, e: unknown, lang: Lang): FlashRefusal {
  if (!(e instanceof ApiError)) return { kind: 'other', message: describeError(e, lang) }
  const msg = e.message || ''
  if (e.code === 'out_of_stock') {
    const m = /only\s+(\d+)\s+left/i.exec(msg)
    if (m) return { kind: 'only_left', left: Number(m[1]), message: i.t('flash.error.onlyLeft', { n: Number(m[1]) }) }
    return { kind: 'sold_out', message: i.t('flash.error.soldOut') }
  }
  if (e.code === 'illegal_transition') {
    if (/not started/i.test(msg)) return { kind: 'not_started', message: i.t('flash.error.notStarted') }
    if (/ended/i.test(msg)) return { kind: 'ended', message: i.t('flash.error.ended') }
  }
  if (e.code === 'validation_failed') {
    const m = /allows\s+(\d+)\s+per customer(?:\s+and you have\s+(\d+))?/i.exec(msg)
    if (m) {
      const n = Number(m[1])
      return { kind: 'limit', message: m[2] !== undefined ? i.t('flash.error.limitHave', { n, have: Number(m[2]) }) : i.t('flash.error.limit', { n }) }
    }
    if (/members only/i.test(msg)) return { kind: 'members_only', message: i.t('flash.error.membersOnly') }
    const q = /quantity:\s*(\d+)\s+to\s+(\d+)/i.exec(msg)
    if (q) return { kind: 'limit', message: i.t('flash.error.limit', { n: Number(q[2]) }) }
  }
  if (e.code === 'rate_limited' || e.status === 429) {
    const wait = retryAfterSecs(e)
    const secs = Math.max(1, Math.ceil(wait ?? 2))
    return { kind: 'busy', wait: secs, message: i.t('flash.error.busy', { n: secs }) }
  }
  return { kind: 'other', message: describeError(e, lang) }
}
