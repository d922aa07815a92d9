// 内容日历 (the content calendar, docs/calendar.md): the API's shapes under /calendar,
// /sessions/{id}/content-sheet, /sessions/{id}/reschedule and /sessions/{id}/bag/{product}/units,
// and the plain day arithmetic the month, week and list views share. Days are the brand time
// zone's ("YYYY-MM-DD" keys); instants are the API's RFC 3339 UTC strings.
import { api, download, type Query } from '@shared/api'
import { toUtcIso, utcToWall, wallToUtc } from '@shared/format'
import type { Session } from '@shared/types'
import type { Segment } from './scripts'

export type ConflictKind = 'host' | 'channel' | 'stock'
export const CONFLICT_KINDS: ConflictKind[] = ['host', 'channel', 'stock']

export interface Conflict {
  kind: ConflictKind
  /** In words, naming the other session or the product (the server's English). */
  message: string
  /** The other session, for `host` and `channel`. */
  session_id: number | null
  /** The product, for `stock`. */
  product_id: number | null
}

export interface ProductPlan {
  id: number
  title: string
  stock: number
  /** Units planned for this session, if set. */
  planned_units: number | null
}

/** A session as the calendar shows it. */
export interface Entry {
  id: number
  title: string
  theme: string
  format: string
  festival: string | null
  promotion_policy: string
  channel: string
  channel_name: string
  platform: string
  host_id: number | null
  host_name: string | null
  state: 'scheduled' | 'live' | 'ended' | 'cancelled'
  scheduled_start: string
  scheduled_end: string
  target_gmv_fen: number | null
  target_viewers: number | null
  target_orders: number | null
  products: ProductPlan[]
  /** The script's latest version (0: none yet), its segments and planned minutes. */
  script_version: number
  script_segments: number
  script_minutes: number
  conflicts: Conflict[]
  /**
   * The course of a practice session (带播练习), which is not a real show. The calendar's entries
   * do not carry it (yet): the page fills it in from GET /practice where the reader may list them.
   */
  practice_course_id?: number | null
}

export interface Calendar {
  from: string
  to: string
  entries: Entry[]
  /** Entries with at least one conflict. */
  conflicted: number
}

export interface CalendarFilter {
  channel?: string
  host_id?: number | null
  include_cancelled?: boolean
}

export interface SheetSegment extends Segment {
  /** Clock times if the show keeps to plan from its scheduled start. */
  start: string
  end: string
  product_titles: string[]
}

export interface ContentSheet {
  session: Entry
  segments: SheetSegment[]
  /** Everyone named in the script, and the host. */
  people: string[]
  /** Minutes of the session the script leaves unplanned (negative: the script runs over). */
  unplanned_minutes: number
}

export interface Rescheduled {
  session: Session
  /** What the new time clashes with (only when forced). */
  conflicts: Conflict[]
}

/** The server reads at most this many days at once. */
export const MAX_RANGE_DAYS = 100
/** Planned units: a whole number in this range, or none. */
export const PLANNED_UNITS_MAX = 10_000_000
/** Festivals the session form suggests (free text up to 20 characters). */
export const FESTIVAL_SUGGESTIONS = ['618', '双11', '双12', '年货节', '38 女王节']

function rangeQuery(from: string, to: string, f: CalendarFilter): Query {
  return {
    from,
    to,
    channel: f.channel || undefined,
    host_id: f.host_id ?? undefined,
    include_cancelled: f.include_cancelled ? true : undefined,
  }
}

const s = (id: number | string) => `/sessions/${encodeURIComponent(id)}`

export const calendarApi = {
  get: (from: string, to: string, f: CalendarFilter = {}) => api.get<Calendar>('/calendar', rangeQuery(from, to, f)),
  /** Downloads the range as an iCalendar file or a workbook; resolves to the file's name. */
  export: (kind: 'ics' | 'xlsx', from: string, to: string, f: CalendarFilter = {}) =>
    download('/calendar.' + kind, rangeQuery(from, to, f), 'sellstream-calendar.' + kind),
  sheet: (id: number | string) => api.get<ContentSheet>(s(id) + '/content-sheet'),
  reschedule: (id: number | string, body: { scheduled_start: string; scheduled_end?: string; force?: boolean }) =>
    api.post<Rescheduled>(s(id) + '/reschedule', body),
  setUnits: (id: number | string, productId: number, units: number | null) =>
    api.put<Entry>(s(id) + '/bag/' + productId + '/units', { planned_units: units }),
}

// ---------------------------------------------------------------- days

/** A day of the brand time zone, "YYYY-MM-DD". */
export type DayKey = string

function parts(day: DayKey): [number, number, number] {
  const [y, m, d] = day.split('-').map(Number)
  return [y, m, d]
}

function key(ms: number): DayKey {
  return new Date(ms).toISOString().slice(0, 10)
}

export function isDayKey(v: unknown): v is DayKey {
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v + 'T00:00:00Z'))
}

export function addDays(day: DayKey, n: number): DayKey {
  const [y, m, d] = parts(day)
  return key(Date.UTC(y, m - 1, d + n))
}

export function addMonths(day: DayKey, n: number): DayKey {
  const [y, m] = parts(day)
  return key(Date.UTC(y, m - 1 + n, 1))
}

/** Days from `a` to `b` (negative when `b` is earlier). */
export function daysBetween(a: DayKey, b: DayKey): number {
  const [y1, m1, d1] = parts(a)
  const [y2, m2, d2] = parts(b)
  return Math.round((Date.UTC(y2, m2 - 1, d2) - Date.UTC(y1, m1 - 1, d1)) / 86_400_000)
}

/** 0 for Monday … 6 for Sunday. */
export function weekdayIndex(day: DayKey): number {
  const [y, m, d] = parts(day)
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7
}

/** The Monday of the day's week. */
export function startOfWeek(day: DayKey): DayKey {
  return addDays(day, -weekdayIndex(day))
}

export function startOfMonth(day: DayKey): DayKey {
  return day.slice(0, 8) + '01'
}

export function sameMonth(a: DayKey, b: DayKey): boolean {
  return a.slice(0, 7) === b.slice(0, 7)
}

/** The day an instant falls on in `tz`. */
export function dayOf(iso: string, tz: string): DayKey {
  return utcToWall(iso, tz).slice(0, 10)
}

/** Minutes since the day's midnight of an instant in `tz`. */
export function minuteOfDay(iso: string, tz: string): number {
  const wall = utcToWall(iso, tz)
  return Number(wall.slice(11, 13)) * 60 + Number(wall.slice(14, 16))
}

export function todayKey(tz: string): DayKey {
  return dayOf(new Date().toISOString(), tz)
}

const pad = (n: number) => String(n).padStart(2, '0')

/** The instant `minutes` after midnight of `day` in `tz`, as the API takes it. */
export function atMinute(day: DayKey, minutes: number, tz: string): string {
  const m = Math.max(0, Math.min(24 * 60 - 1, Math.round(minutes)))
  return wallToUtc(`${day} ${pad(Math.floor(m / 60))}:${pad(m % 60)}:00`, tz)
}

/** Midnight of `day` in `tz`. */
export function dayStart(day: DayKey, tz: string): string {
  return wallToUtc(`${day} 00:00:00`, tz)
}

/** The same instant moved to another day, at the same time of day (`tz`). */
export function sameTimeOn(iso: string, day: DayKey, tz: string): string {
  return wallToUtc(day + utcToWall(iso, tz).slice(10), tz)
}

/** The end after a move that keeps the length. */
export function shiftedEnd(entry: Pick<Entry, 'scheduled_start' | 'scheduled_end'>, start: string): string {
  const length = Date.parse(entry.scheduled_end) - Date.parse(entry.scheduled_start)
  return toUtcIso(new Date(Date.parse(start) + length))
}

export function minutesLong(entry: Pick<Entry, 'scheduled_start' | 'scheduled_end'>): number {
  return Math.round((Date.parse(entry.scheduled_end) - Date.parse(entry.scheduled_start)) / 60_000)
}

export type CalendarView = 'month' | 'week' | 'list'
export const CALENDAR_VIEWS: CalendarView[] = ['month', 'week', 'list']

/** The days a view shows around `anchor`: six weeks for a month, Monday to Sunday for a week, the month for the list. */
export function viewDays(view: CalendarView, anchor: DayKey): { first: DayKey; days: number } {
  if (view === 'week') return { first: startOfWeek(anchor), days: 7 }
  const first = startOfMonth(anchor)
  if (view === 'list') return { first, days: daysBetween(first, addMonths(first, 1)) }
  return { first: startOfWeek(first), days: 42 }
}

/** Where prev/next go from `anchor`. */
export function stepAnchor(view: CalendarView, anchor: DayKey, dir: -1 | 1): DayKey {
  return view === 'week' ? addDays(anchor, 7 * dir) : addMonths(anchor, dir)
}

// ---------------------------------------------------------------- labels and colours

/** Colours of channel accounts in the order the channels list gives them. */
export const CHANNEL_PALETTE = ['#ff3b5c', '#1677ff', '#13a8a8', '#fa8c16', '#722ed1', '#52c41a', '#eb2f96', '#2f54eb', '#a0522d', '#597ef7']

export function channelColors(codes: readonly string[]): Map<string, string> {
  return new Map(codes.map((c, i) => [c, CHANNEL_PALETTE[i % CHANNEL_PALETTE.length]]))
}

/** A channel's colour, or one from its code for channels not listed. */
export function colorOf(colors: Map<string, string>, code: string): string {
  const c = colors.get(code)
  if (c) return c
  let h = 0
  for (const ch of code) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return CHANNEL_PALETTE[h % CHANNEL_PALETTE.length]
}

/** "2026年11月" / "November 2026". */
export function monthTitle(day: DayKey, locale: string): string {
  const [y, m] = parts(day)
  return new Intl.DateTimeFormat(locale, { timeZone: 'UTC', year: 'numeric', month: 'long' }).format(new Date(Date.UTC(y, m - 1, 15)))
}

/** "11月23日" / "Nov 23". */
export function shortDay(day: DayKey, locale: string): string {
  const [y, m, d] = parts(day)
  return new Intl.DateTimeFormat(locale, { timeZone: 'UTC', month: 'short', day: 'numeric' }).format(new Date(Date.UTC(y, m - 1, d, 12)))
}

/** Weekday names from Monday, short ("周一" / "Mon"). */
export function weekdayNames(locale: string): string[] {
  const f = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', weekday: 'short' })
  // 2024-01-01 was a Monday
  return Array.from({ length: 7 }, (_, i) => f.format(new Date(Date.UTC(2024, 0, 1 + i, 12))))
}

/** "20:00" of an instant in `tz`. */
export function clock(iso: string, tz: string): string {
  return utcToWall(iso, tz).slice(11, 16)
}

/** "20:00–22:00", with the end's day when it falls on another one. */
export function clockRange(start: string, end: string, tz: string): string {
  const s = utcToWall(start, tz)
  const e = utcToWall(end, tz)
  return s.slice(11, 16) + '–' + (s.slice(0, 10) === e.slice(0, 10) ? '' : e.slice(5, 10) + ' ') + e.slice(11, 16)
}

/** "09:15" for minutes after midnight. */
export function minuteClock(m: number): string {
  return pad(Math.floor(m / 60)) + ':' + pad(m % 60)
}

/** "2026/11/28 周六 20:00" / "Sat, 28/11/2026, 20:00" of an instant in `tz`. */
export function fullDateTime(iso: string, tz: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso))
}

/** A session's time as a sheet heads it: the start in full, then the end's clock (or in full on another day). */
export function sessionWhen(start: string, end: string, tz: string, locale: string): string {
  const other = dayOf(start, tz) !== dayOf(end, tz)
  return fullDateTime(start, tz, locale) + ' – ' + (other ? fullDateTime(end, tz, locale) : clock(end, tz))
}
