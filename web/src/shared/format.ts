// Money and time formatting shared by the viewer and the console.
// Money: the API uses integer fen. Times: RFC 3339 UTC strings, shown in the
// brand's time zone (default Asia/Shanghai).

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai'

const state = {
  timeZone: DEFAULT_TIME_ZONE,
  currency: 'CNY',
  locale: 'zh-CN',
}

export function setFormatTimeZone(tz: string | null | undefined) {
  state.timeZone = tz && isValidTimeZone(tz) ? tz : DEFAULT_TIME_ZONE
}
export function getFormatTimeZone(): string {
  return state.timeZone
}
export function setFormatCurrency(currency: string | null | undefined) {
  state.currency = currency || 'CNY'
}
export function setFormatLocale(locale: string) {
  state.locale = locale
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

// ---------- money ----------

const CURRENCY_SYMBOLS: Record<string, string> = {
  CNY: '¥',
  RMB: '¥',
  USD: '$',
  EUR: '€',
  GBP: '£',
  JPY: '¥',
  HKD: 'HK$',
  TWD: 'NT$',
  SGD: 'S$',
  KRW: '₩',
}

export function currencySymbol(currency = state.currency): string {
  return CURRENCY_SYMBOLS[currency.toUpperCase()] ?? currency.toUpperCase() + ' '
}

/** 12900 -> "¥129.00" */
export function formatFen(fen: number | null | undefined, currency = state.currency): string {
  if (fen === null || fen === undefined || Number.isNaN(fen)) return '—'
  const negative = fen < 0
  const abs = Math.abs(Math.round(fen))
  const yuan = Math.floor(abs / 100)
  const cents = String(abs % 100).padStart(2, '0')
  const grouped = String(yuan).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return (negative ? '-' : '') + currencySymbol(currency) + grouped + '.' + cents
}

/** Price range "¥99.00 – ¥129.00", or a single price when equal. */
export function formatFenRange(min: number | null | undefined, max: number | null | undefined): string {
  if (min === null || min === undefined) return formatFen(max)
  if (max === null || max === undefined || max === min) return formatFen(min)
  return formatFen(min) + ' – ' + formatFen(max)
}

/** Yuan (e.g. 129.9 or "129.90") to integer fen, or NaN when not a number. */
export function yuanToFen(yuan: number | string | null | undefined): number {
  if (yuan === null || yuan === undefined || yuan === '') return NaN
  const n = typeof yuan === 'number' ? yuan : Number(String(yuan).trim())
  if (!Number.isFinite(n)) return NaN
  return Math.round(n * 100)
}

export function fenToYuan(fen: number): number {
  return Math.round(fen) / 100
}

// ---------- time ----------

const dtfCache = new Map<string, Intl.DateTimeFormat>()
function dtf(locale: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = locale + JSON.stringify(opts)
  let f = dtfCache.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat(locale, opts)
    dtfCache.set(key, f)
  }
  return f
}

function parse(iso: string | Date | null | undefined): Date | null {
  if (!iso) return null
  const d = iso instanceof Date ? iso : new Date(iso)
  return Number.isNaN(d.getTime()) ? null : d
}

/** "2025/06/18 20:00" (zh-CN) or "06/18/2025, 20:00" (en), in the brand time zone. */
export function formatDateTime(iso: string | Date | null | undefined, tz = state.timeZone, locale = state.locale): string {
  const d = parse(iso)
  if (!d) return '—'
  return dtf(locale, {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(d)
}

/** Short form without the year: "06/18 20:00". */
export function formatShortDateTime(iso: string | Date | null | undefined, tz = state.timeZone, locale = state.locale): string {
  const d = parse(iso)
  if (!d) return '—'
  return dtf(locale, {
    timeZone: tz,
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(d)
}

export function formatTime(iso: string | Date | null | undefined, tz = state.timeZone, locale = state.locale): string {
  const d = parse(iso)
  if (!d) return '—'
  return dtf(locale, { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d)
}

/** "06/18 20:00 – 22:00" when both ends fall on the same local day. */
export function formatTimeRange(start: string | null | undefined, end: string | null | undefined, tz = state.timeZone, locale = state.locale): string {
  if (!start) return '—'
  const s = formatShortDateTime(start, tz, locale)
  if (!end) return s
  const sameDay = wallParts(new Date(start), tz).slice(0, 3).join('-') === wallParts(new Date(end), tz).slice(0, 3).join('-')
  return s + ' – ' + (sameDay ? formatTime(end, tz, locale) : formatShortDateTime(end, tz, locale))
}

/** [year, month, day, hour, minute, second] of an instant as seen in `tz`. */
function wallParts(d: Date, tz: string): number[] {
  const parts = dtf('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(d)
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0)
  return [get('year'), get('month'), get('day'), get('hour') % 24, get('minute'), get('second')]
}

function tzOffsetMs(d: Date, tz: string): number {
  const [y, mo, da, h, mi, s] = wallParts(d, tz)
  const asUtc = Date.UTC(y, mo - 1, da, h, mi, s)
  const whole = d.getTime() - d.getMilliseconds()
  return asUtc - whole
}

const pad = (n: number) => String(n).padStart(2, '0')

/** UTC instant -> wall-clock "YYYY-MM-DD HH:mm:ss" in `tz` (for date pickers). */
export function utcToWall(iso: string | null | undefined, tz = state.timeZone): string {
  const d = parse(iso)
  if (!d) return ''
  const [y, mo, da, h, mi, s] = wallParts(d, tz)
  return `${y}-${pad(mo)}-${pad(da)} ${pad(h)}:${pad(mi)}:${pad(s)}`
}

/** Wall-clock "YYYY-MM-DD HH:mm[:ss]" in `tz` -> UTC RFC 3339 string "…Z". */
export function wallToUtc(wall: string, tz = state.timeZone): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?/.exec(wall.trim())
  if (!m) throw new Error('invalid date-time: ' + wall)
  const [y, mo, da, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0))
  const guess = Date.UTC(y, mo - 1, da, h, mi, s || 0)
  const off1 = tzOffsetMs(new Date(guess), tz)
  let ts = guess - off1
  const off2 = tzOffsetMs(new Date(ts), tz)
  if (off2 !== off1) ts = guess - off2
  return toUtcIso(new Date(ts))
}

/** RFC 3339 UTC without milliseconds: "2025-06-18T12:00:00Z". */
export function toUtcIso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Whether an instant falls on "today" in `tz`. */
export function isToday(iso: string | null | undefined, tz = state.timeZone): boolean {
  const d = parse(iso)
  if (!d) return false
  return wallParts(d, tz).slice(0, 3).join('-') === wallParts(new Date(), tz).slice(0, 3).join('-')
}

// ---------- counts ----------

function trimDecimal(n: number): string {
  return n.toFixed(1).replace(/\.0$/, '')
}

/**
 * Compact audience/like counts in the current language: 12345 -> "1.2万" (zh-CN) or
 * "12.3k" (en); small numbers as they are.
 */
export function formatCount(n: number | null | undefined, locale = state.locale): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '0'
  const v = Math.max(0, Math.floor(n))
  if (locale.startsWith('zh')) {
    if (v >= 100_000_000) return trimDecimal(Math.floor(v / 10_000_000) / 10) + '亿'
    if (v >= 10_000) return trimDecimal(Math.floor(v / 1000) / 10) + '万'
    return String(v)
  }
  if (v >= 1_000_000) return trimDecimal(Math.floor(v / 100_000) / 10) + 'M'
  if (v >= 10_000) return trimDecimal(Math.floor(v / 100) / 10) + 'k'
  if (v >= 1000) return v.toLocaleString('en-GB')
  return String(v)
}

/**
 * How long ago `iso` was, seen from `now` (ms): "3 分钟前" (zh-CN) or "3 minutes ago" (en);
 * "now" for the last few seconds.
 */
export function formatRelative(iso: string | Date | null | undefined, now = Date.now(), locale = state.locale): string {
  const d = parse(iso)
  if (!d) return '—'
  // a clock a little ahead of the server's must not say "in 2 seconds"
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000))
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  if (s < 10) return rtf.format(0, 'second')
  if (s < 60) return rtf.format(-s, 'second')
  if (s < 3600) return rtf.format(-Math.floor(s / 60), 'minute')
  if (s < 86_400) return rtf.format(-Math.floor(s / 3600), 'hour')
  return rtf.format(-Math.floor(s / 86_400), 'day')
}

/** Clock time "20:05" of a millisecond timestamp, in the brand time zone. */
export function formatClock(ms: number | null | undefined, tz = state.timeZone, locale = state.locale): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  return dtf(locale, { timeZone: tz, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(ms))
}
