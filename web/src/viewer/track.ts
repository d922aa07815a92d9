// Viewing events for analytics: what the viewer saw and tapped (session cards on the home page,
// product cards in a room or replay, the bag, buy sheets, shares, replay watching), batched and
// sent to `POST /api/v1/events` with the signed-in customer's cookie when there is one.
//
// Each page load is one `source` with its own `seq` 1, 2, 3…; the server keeps the highest seq it
// stored per source and drops anything at or below it, so sending a batch again is harmless and
// batches go one at a time, in order. Live-room enter/leave, chat, likes and follows are not sent
// from here: the server hears them on the room's WebSocket.

import type { Directive } from 'vue'
import { ApiError, request } from '@shared/api'
import { deviceId } from '@shared/room'

export type TrackKind = 'impression' | 'enter' | 'leave' | 'exposure' | 'bag_open' | 'click' | 'cart' | 'share'

export interface TrackInput {
  kind: TrackKind
  session?: number
  product?: number
  /** True on the replay page, false in the live room. */
  replay?: boolean
  /** `leave`: milliseconds actually watched. */
  ms?: number
  /** `cart`: units. */
  quantity?: number
}

export interface TrackedEvent extends TrackInput {
  seq: number
  /** Epoch milliseconds. */
  at: number
  /** The page's `from` query parameter (a promotion's tracking source). */
  channel?: string
}

export interface EventsReply {
  accepted: number
  duplicates: number
  rejected: { index: number; code: string; message: string }[]
}

export const FLUSH_EVERY_MS = 5_000
export const FLUSH_AT = 50
export const BATCH_MAX = 200
/** Events kept while the server cannot be reached; the oldest go first beyond this. */
const QUEUE_MAX = 2_000
const BACKOFF_FIRST_MS = 1_000
const BACKOFF_MAX_MS = 60_000
const DEVICE_KEY = 'ss-device'
const SOURCE_KEY = 'ss-source'

function randomId(n = 20): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
  const bytes = new Uint8Array(n)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')
}

/**
 * The browser's id, kept in localStorage `ss-device`. It starts as the live room's device id, so
 * a viewer is the same device in these events and on the room's socket (entries, watch time).
 */
function trackedDevice(): string {
  try {
    const kept = localStorage.getItem(DEVICE_KEY)
    if (kept && /^[A-Za-z0-9]{8,64}$/.test(kept)) return kept
  } catch {
    /* storage unavailable */
  }
  const id = deviceId()
  try {
    localStorage.setItem(DEVICE_KEY, id)
  } catch {
    /* storage unavailable */
  }
  return id
}

/**
 * A new source for every page load (written to sessionStorage `ss-source` for reference). Not
 * read back: a duplicated tab copies sessionStorage, and two pages counting seqs under one source
 * would make the server drop one page's events.
 */
function newSource(): string {
  const id = randomId()
  try {
    sessionStorage.setItem(SOURCE_KEY, id)
  } catch {
    /* storage unavailable */
  }
  return id
}

/**
 * The `from` query parameter of the page's address, when there is one (the tracker keeps the last
 * one seen in this page load for the pages the viewer moves on to).
 */
export function pageChannel(): string | undefined {
  try {
    // `src` is what a pre-announcement link (/p/{code}) opens the room with; `from` other campaigns
    const q = new URLSearchParams(location.search)
    const from = (q.get('from') ?? q.get('src'))?.trim()
    return from ? from.slice(0, 64) : undefined
  } catch {
    return undefined
  }
}

class EventTracker {
  private source = ''
  private device = ''
  private nextSeq = 1
  private queue: TrackedEvent[] = []
  /** The batch being sent, or waiting to be sent again: its seqs never change. */
  private inflight: TrackedEvent[] | null = null
  private sending = false
  private flushTimer: number | undefined
  private retryTimer: number | undefined
  private failures = 0
  private started = false
  private leaveHooks = new Set<() => void>()
  private sent = new Set<string>()
  private channel: string | undefined

  private start() {
    if (this.started) return
    this.started = true
    this.source = newSource()
    this.device = trackedDevice()
    window.addEventListener('pagehide', () => this.pageHidden())
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.pageHidden(false)
    })
    // back online: the batch waiting out its backoff goes now
    window.addEventListener('online', () => {
      if (this.retryTimer === undefined) return
      window.clearTimeout(this.retryTimer)
      this.retryTimer = undefined
      void this.send(false)
    })
  }

  /** Queues one event; sends at once at FLUSH_AT queued events, else within FLUSH_EVERY_MS. */
  track(input: TrackInput) {
    if (typeof window === 'undefined') return
    this.start()
    // the promotion a visit came by stays its channel as the viewer moves between pages
    const channel = (this.channel = pageChannel() ?? this.channel)
    const event: TrackedEvent = { seq: this.nextSeq++, ...input, at: Date.now() }
    if (channel) event.channel = channel
    this.queue.push(event)
    if (this.queue.length > QUEUE_MAX) this.queue.splice(0, this.queue.length - QUEUE_MAX)
    if (this.queue.length >= FLUSH_AT) this.flush()
    else this.schedule()
  }

  /** `track`, once per `key` for this page load (e.g. one exposure per product and session). */
  trackOnce(key: string, input: TrackInput) {
    if (this.sent.has(key)) return
    this.sent.add(key)
    this.track(input)
  }

  /** Called first when the page is hidden or left, e.g. to queue a replay's `leave`. */
  onPageHide(fn: () => void): () => void {
    this.leaveHooks.add(fn)
    return () => this.leaveHooks.delete(fn)
  }

  private schedule() {
    if (this.flushTimer !== undefined) return
    this.flushTimer = window.setTimeout(() => {
      this.flushTimer = undefined
      this.flush()
    }, FLUSH_EVERY_MS)
  }

  /** Sends the next batch unless one is on its way (it sends the rest when it is done). */
  flush(keepalive = false) {
    window.clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    if (this.inflight) {
      if (keepalive) this.sendBeforeUnload()
      return
    }
    if (!this.queue.length) return
    this.inflight = this.queue.splice(0, BATCH_MAX)
    void this.send(keepalive)
  }

  private pageHidden(leaving = true) {
    if (leaving) for (const fn of this.leaveHooks) fn()
    this.flush(true)
  }

  /**
   * The page may be going away while a batch waits: send it with what is queued behind it, in seq
   * order and with `keepalive`. If the page lives on, the regular path sends them again and the
   * server counts them as duplicates.
   */
  private sendBeforeUnload() {
    const events = [...(this.inflight ?? []), ...this.queue].slice(0, BATCH_MAX)
    if (!events.length) return
    request<EventsReply>('POST', '/events', this.body(events), undefined, undefined, { keepalive: true }).catch(() => undefined)
  }

  private body(events: TrackedEvent[]) {
    return { source: this.source, device: this.device, events }
  }

  private async send(keepalive: boolean) {
    const batch = this.inflight
    if (!batch || this.sending) return
    this.sending = true
    let retryIn: number | null = null
    try {
      const reply = await request<EventsReply>('POST', '/events', this.body(batch), undefined, undefined, { keepalive })
      if (reply?.rejected?.length) console.warn('[track] events refused by the server', reply.rejected.map((r) => ({ ...r, event: batch[r.index] })))
      this.failures = 0
    } catch (e) {
      const status = e instanceof ApiError ? e.status : 0
      if (status === 429) {
        retryIn = (e instanceof ApiError && e.retryAfter ? e.retryAfter : 5) * 1000
      } else if (status === 0 || status >= 500) {
        retryIn = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.failures)
        this.failures += 1
      } else {
        // 4xx: this batch will never be taken; the next ones may
        console.warn(`[track] batch of ${batch.length} events dropped (${status})`, e instanceof ApiError ? e.code + ': ' + e.message : e)
        this.failures = 0
      }
    } finally {
      this.sending = false
    }
    if (retryIn !== null) {
      this.retryTimer = window.setTimeout(() => {
        this.retryTimer = undefined
        void this.send(false)
      }, retryIn)
      return
    }
    this.inflight = null
    if (this.queue.length >= FLUSH_AT) this.flush()
    else if (this.queue.length) this.schedule()
  }

  /** For tests and debugging: what is waiting. */
  pending(): { queued: number; inflight: number; nextSeq: number; source: string } {
    return { queued: this.queue.length, inflight: this.inflight?.length ?? 0, nextSeq: this.nextSeq, source: this.source }
  }
}

export const tracker = new EventTracker()

export const track = (input: TrackInput) => tracker.track(input)
export const trackOnce = (key: string, input: TrackInput) => tracker.trackOnce(key, input)

/** A product card came into view (once per product, session and page load). */
export function trackExposure(session: number, product: number, replay: boolean) {
  trackOnce(`exposure:${replay ? 'r' : 'l'}:${session}:${product}`, { kind: 'exposure', session, product, replay })
}

// ---------- "this element came into view" ----------

type Seen = () => void
const callbacks = new WeakMap<Element, Seen>()
let observer: IntersectionObserver | null = null

function io(): IntersectionObserver | null {
  if (observer || typeof IntersectionObserver === 'undefined') return observer
  observer = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        if (!e.isIntersecting || e.intersectionRatio < 0.5) continue
        const cb = callbacks.get(e.target)
        observer?.unobserve(e.target)
        callbacks.delete(e.target)
        cb?.()
      }
    },
    { threshold: [0, 0.5, 1] },
  )
  return observer
}

/**
 * `v-seen="() => trackExposure(…)"`: calls the function once when at least half the element is
 * in view (inside scrolling lists and sheets too: hidden or scrolled-away elements do not count).
 */
export const vSeen: Directive<Element, Seen | null | undefined> = {
  mounted(el, binding) {
    if (!binding.value) return
    callbacks.set(el, binding.value)
    io()?.observe(el)
  },
  updated(el, binding) {
    if (binding.value && callbacks.has(el)) callbacks.set(el, binding.value)
  },
  unmounted(el) {
    callbacks.delete(el)
    observer?.unobserve(el)
  },
}

// ---------- time actually watched ----------

/**
 * Counts milliseconds while a video plays and the page is visible. `playing(true|false)` from the
 * video's events; `take()` answers the time counted since the last `take()`.
 */
export class WatchClock {
  private isPlaying = false
  private since: number | null = null
  private counted = 0
  private readonly onVisibility = () => this.update()

  constructor() {
    document.addEventListener('visibilitychange', this.onVisibility)
  }

  playing(on: boolean) {
    this.isPlaying = on
    this.update()
  }

  private update() {
    const running = this.isPlaying && document.visibilityState === 'visible'
    if (running && this.since === null) this.since = performance.now()
    else if (!running && this.since !== null) {
      this.counted += performance.now() - this.since
      this.since = null
    }
  }

  take(): number {
    let ms = this.counted
    if (this.since !== null) {
      const now = performance.now()
      ms += now - this.since
      this.since = now
    }
    this.counted = 0
    return Math.max(0, Math.round(ms))
  }

  dispose() {
    document.removeEventListener('visibilitychange', this.onVisibility)
  }
}
