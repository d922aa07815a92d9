// Live room connection manager, shared by the viewer's room page and the console's room control
// page. Speaks the protocol of docs/protocol.md over `/ws/rooms/{id}`: keeps a reactive copy of
// the room (rebuilt from hello + snapshot, then patched by batches), pings every 25 s, batches
// like taps, and reconnects by itself with backoff (1 s, 2 s, 4 s … 30 s).
import { reactive } from 'vue'
import { buildUrl } from './api'

// ---------- wire types ----------

export interface RoomUser {
  id: number | null
  nick: string
  staff?: boolean
}

export interface RoomYou {
  id: number | null
  nick: string
  staff: boolean
  can_control: boolean
  following: boolean
  voted: { poll: number; option: number } | null
  entered: boolean
  muted_until: number | null
  banned: boolean
}

export interface RoomSessionInfo {
  id: number
  title: string
  state: string
  cover_url: string | null
  host: { id: number | null; nick: string | null }
  channel: string
}

export interface ChatMessage {
  id: number
  user: RoomUser
  text: string
  at: number
}

export interface RoomBagEntry {
  position: number
  product: number
  title: string
  image: string | null
  price_min_fen: number
  price_max_fen: number
  /** The lowest live price (直播价) of the product in this session, when the session set any. */
  live_price_min_fen: number | null
  stock: number
}

/** A claimable coupon on offer in the room (`coupon` event, snapshot `coupon`). */
export interface RoomCoupon {
  id: number
  name: string
  rule: { kind: string; off?: number; off_bp?: number; cap?: number | null; min_spend?: number }
  scope: { kind: string; ids?: number[] }
  valid_from: string
  valid_until: string
  /** Left to hand out when it was offered (null: no limit). */
  left: number | null
}

/** A paid order from this room, for the "someone just bought" ticker (`purchase` event). */
export interface RoomPurchase {
  /** Local id (for lists). */
  key: number
  product: number
  title: string
  /** Masked: `小**`. */
  buyer: string
  quantity: number
  /** When this page heard of it (ms). */
  at: number
}

/**
 * A flash sale (秒杀) counting down or selling in the room (`flash_sale` event, snapshot
 * `flash_sales`), its units left patched by `flash_stock`. Times are RFC 3339 strings.
 */
export interface RoomFlashSale {
  id: number
  product: number
  sku: number
  title: string
  price_fen: number
  list_price_fen: number
  quota: number
  remaining: number
  per_customer: number
  members_only: boolean
  starts_at: string
  ends_at: string
  /** As the server last said; derive the phase at a moment with `flashPhase` (shared/flash.ts). */
  phase: 'upcoming' | 'running' | 'sold_out' | 'ended'
}

/**
 * The room's video (snapshot `video`, `video` event, and `video` of the public session): `live`
 * while the host's encoder publishes (`hls_url` is the playlist to play); when `offline`,
 * `demo_clip_url` is set only on a server running with demo data. `since`: ms, when it last
 * changed (null when unknown).
 */
export interface RoomVideo {
  state: 'live' | 'offline'
  hls_url: string | null
  demo_clip_url: string | null
  since: number | null
}

export interface RoomPoll {
  id: number
  question: string
  options: string[]
  counts: number[]
  open: boolean
}

export interface RoomLottery {
  id: number
  title: string
  prize: string
  winners_wanted: number
  keyword: string | null
  condition: string | null
  entries: number
  open: boolean
  winners?: { id: number; nick: string }[] | null
  seed?: string | null
  entrants?: number[]
}

export interface RoomQuestion {
  id: number
  user: { id: number; nick: string }
  text: string
  upvotes: number
  answer: string | null
  pinned: boolean
  at: number
}

export interface RoomStats {
  session_id: number
  online: number
  peak: number
  entries: number
  likes: number
  comments_per_minute: number
  lottery_entries: number
  lagging_skips: number
  lagging: number
  queued_frames: number
  chat_sampled_out: number
}

export interface RoomAnnouncement {
  text: string
  at: number
}

/** An error frame. */
export interface RoomErrorFrame {
  code: string
  message: string
  ref?: unknown
}

/** Something that happened in the room this page may want to show once (not part of the state). */
export type RoomNotice =
  | { kind: 'follow'; user: { id: number; nick: string } }
  | { kind: 'lottery_opened'; lottery: RoomLottery }
  | { kind: 'lottery_drawn'; lottery: RoomLottery }
  | { kind: 'poll_opened'; poll: RoomPoll }
  | { kind: 'chat'; message: ChatMessage }
  | { kind: 'purchase'; purchase: RoomPurchase }
  | { kind: 'coupon'; coupon: RoomCoupon | null }
  | { kind: 'flash_sale'; sale: RoomFlashSale }
  | { kind: 'video'; video: RoomVideo }

/**
 * connecting: first attempt; live: joined; reconnecting: lost, retrying with backoff;
 * ended: the session ended or was cancelled (no more retries); not_found: no such session.
 */
export type RoomStatus = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'not_found'

export interface RoomState {
  status: RoomStatus
  /** Seconds until the next reconnect attempt (while reconnecting). */
  retryIn: number
  /** Whether this page ever joined (so a later loss shows "reconnecting"). */
  joined: boolean
  you: RoomYou | null
  session: RoomSessionInfo | null
  online: number
  likes: number
  chat: ChatMessage[]
  bag: RoomBagEntry[]
  pinned: RoomBagEntry | null
  announcement: RoomAnnouncement | null
  poll: RoomPoll | null
  lottery: RoomLottery | null
  questions: RoomQuestion[]
  /** The claimable coupon on offer, if any. */
  coupon: RoomCoupon | null
  /** Flash sales counting down or selling, in launch order (ended ones are removed). */
  flashSales: RoomFlashSale[]
  /** The last few purchases heard in this connection, newest last. */
  purchases: RoomPurchase[]
  /** The room's video; null until the server says (a server without video never does). */
  video: RoomVideo | null
  stats: RoomStats | null
  /** Last event applied (the snapshot's seq, then each batch's). */
  seq: number
  /** Accounts muted (until, ms) and banned, as seen in this connection's events. */
  muted: Record<number, number>
  banned: Record<number, true>
  /** Messages moderation refused (banned-word hits); sent only to those who run the room. */
  refused: RefusedMessage[]
}

export interface RefusedMessage {
  user: RoomUser
  text: string
  reason: string
  at: number
}

export const CHAT_KEEP = 50
export const PURCHASES_KEEP = 10
export const PING_EVERY_MS = 25_000
export const LIKE_EVERY_MS = 300
const MAX_BACKOFF_MS = 30_000
const DEVICE_KEY = 'sellstream.device'

/** A random device id kept in localStorage (letters and digits, as the server wants). */
export function deviceId(): string {
  try {
    const existing = localStorage.getItem(DEVICE_KEY)
    if (existing && /^[A-Za-z0-9]{8,40}$/.test(existing)) return existing
  } catch {
    /* storage unavailable */
  }
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
  const bytes = new Uint8Array(20)
  crypto.getRandomValues(bytes)
  const id = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')
  try {
    localStorage.setItem(DEVICE_KEY, id)
  } catch {
    /* storage unavailable */
  }
  return id
}

export function roomSocketUrl(sessionId: number | string): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${location.host}/ws/rooms/${encodeURIComponent(String(sessionId))}?device=${deviceId()}`
}

/** Backoff before reconnect attempt `n` (0-based): 1 s, 2 s, 4 s … 30 s. */
export function backoffMs(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempt, 15))
}

function emptyState(): RoomState {
  return {
    status: 'connecting',
    retryIn: 0,
    joined: false,
    you: null,
    session: null,
    online: 0,
    likes: 0,
    chat: [],
    bag: [],
    pinned: null,
    announcement: null,
    poll: null,
    lottery: null,
    questions: [],
    coupon: null,
    flashSales: [],
    purchases: [],
    video: null,
    stats: null,
    seq: -1,
    muted: {},
    banned: {},
    refused: [],
  }
}

type Json = Record<string, unknown>
type ErrorListener = (e: RoomErrorFrame) => void
type NoticeListener = (n: RoomNotice) => void

export interface RoomOptions {
  /** Called for every error frame (after the per-message handler, if any). */
  onError?: ErrorListener
  /** Called for events a page may want to react to once (pop-ups, tickers). */
  onNotice?: NoticeListener
}

/** Messages a client may send (docs/protocol.md, "Client → server"). */
export type ClientMessage =
  | { t: 'ping' }
  | { t: 'chat'; text: string }
  | { t: 'like'; n: number }
  | { t: 'follow' }
  | { t: 'vote'; poll: number; option: number }
  | { t: 'enter'; lottery: number }
  | { t: 'ask'; text: string }
  | { t: 'upvote'; question: number }
  | { t: 'pin'; product: number }
  | { t: 'unpin' }
  | { t: 'announce'; text: string }
  | { t: 'poll_open'; question: string; options: string[] }
  | { t: 'poll_close'; poll: number }
  | { t: 'lottery_open'; title: string; prize: string; winners: number; keyword?: string | null; condition?: string | null }
  | { t: 'lottery_draw'; lottery: number }
  | { t: 'answer'; question: number; answer: string }
  | { t: 'pin_question'; question: number }
  | { t: 'delete_chat'; id: number }
  | { t: 'mute'; account: number; minutes: number }
  | { t: 'ban'; account: number }
  | { t: 'unban'; account: number }

export class RoomConnection {
  readonly state: RoomState
  private readonly sessionId: string
  private readonly opts: RoomOptions
  private ws: WebSocket | null = null
  private attempt = 0
  private gotHello = false
  private disposed = false
  private retryTimer: number | undefined
  private countdownTimer: number | undefined
  private pingTimer: number | undefined
  private likeTimer: number | undefined
  private pendingLikes = 0
  private lastLikeSent = 0
  private nextRef = 1
  private nextPurchaseKey = 1
  private readonly refHandlers = new Map<number, { fail: (e: RoomErrorFrame) => void; at: number }>()

  constructor(sessionId: number | string, opts: RoomOptions = {}) {
    this.sessionId = String(sessionId)
    this.opts = opts
    this.state = reactive(emptyState()) as RoomState
    this.connect()
  }

  // ---------- connection ----------

  private connect() {
    if (this.disposed) return
    window.clearTimeout(this.retryTimer)
    window.clearInterval(this.countdownTimer)
    this.gotHello = false
    let ws: WebSocket
    try {
      ws = new WebSocket(roomSocketUrl(this.sessionId))
    } catch {
      this.scheduleReconnect()
      return
    }
    this.ws = ws
    ws.onmessage = (ev) => {
      if (this.ws !== ws || typeof ev.data !== 'string') return
      let frame: Json
      try {
        frame = JSON.parse(ev.data)
      } catch {
        return
      }
      if (frame && typeof frame === 'object') this.onFrame(frame)
    }
    ws.onclose = () => {
      if (this.ws !== ws) return
      this.ws = null
      this.stopPing()
      this.onLost()
    }
    ws.onerror = () => {
      // onclose follows and handles it
    }
  }

  private onLost() {
    if (this.disposed || this.state.status === 'ended' || this.state.status === 'not_found') return
    if (!this.gotHello) {
      // Refused before joining: find out whether the room can ever open (404 unknown, 409 ended).
      this.probe()
    }
    this.scheduleReconnect()
  }

  private async probe() {
    try {
      const res = await fetch(buildUrl('/public/sessions/' + encodeURIComponent(this.sessionId)), {
        credentials: 'include',
        headers: { Accept: 'application/json' },
      })
      if (this.disposed || this.state.status === 'live') return
      if (res.status === 404 || res.status === 422 || res.status === 400) {
        this.finish('not_found')
      } else if (res.ok) {
        const s = (await res.json()) as { id: number; title: string; state: string; cover_url: string | null; host_id: number | null; host_name: string | null; channel: string }
        if (s.state === 'ended' || s.state === 'cancelled') {
          if (!this.state.session) {
            this.state.session = {
              id: s.id,
              title: s.title,
              state: s.state,
              cover_url: s.cover_url,
              host: { id: s.host_id, nick: s.host_name },
              channel: s.channel,
            }
          } else this.state.session.state = s.state
          this.finish('ended')
        }
      }
    } catch {
      /* the server is away: keep retrying */
    }
  }

  private finish(status: 'ended' | 'not_found') {
    this.state.status = status
    window.clearTimeout(this.retryTimer)
    window.clearInterval(this.countdownTimer)
    this.state.retryIn = 0
    this.stopPing()
    if (this.ws) {
      const ws = this.ws
      this.ws = null
      try {
        ws.close()
      } catch {
        /* ignore */
      }
    }
  }

  private scheduleReconnect() {
    if (this.disposed || this.state.status === 'ended' || this.state.status === 'not_found') return
    this.state.status = this.state.joined ? 'reconnecting' : this.attempt === 0 ? 'connecting' : 'reconnecting'
    const delay = backoffMs(this.attempt)
    this.attempt += 1
    const due = Date.now() + delay
    this.state.retryIn = Math.ceil(delay / 1000)
    window.clearInterval(this.countdownTimer)
    this.countdownTimer = window.setInterval(() => {
      this.state.retryIn = Math.max(0, Math.ceil((due - Date.now()) / 1000))
    }, 500)
    window.clearTimeout(this.retryTimer)
    this.retryTimer = window.setTimeout(() => this.connect(), delay)
  }

  /** Try again now (e.g. when the page becomes visible or the network comes back). */
  reconnectNow() {
    if (this.disposed || this.ws || this.state.status === 'ended' || this.state.status === 'not_found') return
    this.connect()
  }

  private startPing() {
    this.stopPing()
    this.pingTimer = window.setInterval(() => this.raw({ t: 'ping' }), PING_EVERY_MS)
  }

  private stopPing() {
    window.clearInterval(this.pingTimer)
    this.pingTimer = undefined
  }

  /** Close for good (the page is going away). */
  dispose() {
    this.disposed = true
    window.clearTimeout(this.retryTimer)
    window.clearInterval(this.countdownTimer)
    window.clearTimeout(this.likeTimer)
    this.stopPing()
    const ws = this.ws
    this.ws = null
    if (ws) {
      try {
        ws.close(1000)
      } catch {
        /* ignore */
      }
    }
  }

  get connected(): boolean {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN && this.state.status === 'live'
  }

  // ---------- sending ----------

  private raw(msg: Json): boolean {
    const ws = this.ws
    if (!ws || ws.readyState !== WebSocket.OPEN) return false
    try {
      ws.send(JSON.stringify(msg))
      return true
    } catch {
      return false
    }
  }

  /**
   * Sends a message. `onFail` runs if the server answers it with an error frame (matched by
   * `ref`). Returns false when not connected (nothing was sent).
   */
  send(msg: ClientMessage, onFail?: (e: RoomErrorFrame) => void): boolean {
    const ref = this.nextRef++
    const ok = this.raw({ ...msg, v: 1, ref })
    if (ok && onFail) {
      this.refHandlers.set(ref, { fail: onFail, at: Date.now() })
      // forget old handlers: an error comes within a tick or two
      const cutoff = Date.now() - 30_000
      for (const [r, h] of this.refHandlers) if (h.at < cutoff) this.refHandlers.delete(r)
    }
    return ok
  }

  /** A like tap: counted at once on this page, sent batched at most every 300 ms. */
  tapLike(n = 1) {
    this.pendingLikes += n
    this.state.likes += n
    this.flushLikesSoon()
  }

  private flushLikesSoon() {
    if (this.likeTimer !== undefined) return
    const wait = Math.max(0, this.lastLikeSent + LIKE_EVERY_MS - Date.now())
    this.likeTimer = window.setTimeout(() => {
      this.likeTimer = undefined
      if (this.pendingLikes <= 0) return
      const n = Math.min(50, this.pendingLikes)
      if (this.raw({ t: 'like', n, v: 1 })) {
        this.pendingLikes -= n
        this.lastLikeSent = Date.now()
      } else {
        // not connected: keep the taps and try again shortly
        this.lastLikeSent = Date.now()
      }
      if (this.pendingLikes > 0) this.flushLikesSoon()
    }, wait)
  }

  // ---------- receiving ----------

  private onFrame(f: Json) {
    switch (f.t) {
      case 'hello':
        this.onHello(f)
        break
      case 'snapshot':
        this.onSnapshot(f)
        break
      case 'batch':
        this.onBatch(f)
        break
      case 'error':
        this.onErrorFrame(f)
        break
      default:
      // unknown frame types are ignored (protocol: additive changes)
    }
  }

  private onHello(f: Json) {
    this.gotHello = true
    this.attempt = 0
    window.clearInterval(this.countdownTimer)
    this.state.retryIn = 0
    this.state.you = (f.you as RoomYou) ?? null
    this.startPing()
  }

  private onSnapshot(f: Json) {
    const s = this.state
    s.session = (f.session as RoomSessionInfo) ?? s.session
    s.online = num(f.online, s.online)
    s.likes = num(f.likes, 0) + this.pendingLikes
    s.chat = ((f.chat as ChatMessage[]) ?? []).slice(-CHAT_KEEP)
    s.bag = bagOf(f.bag)
    s.pinned = f.pinned && typeof f.pinned === 'object' ? bagEntryOf(f.pinned as Json) : null
    s.announcement = (f.announcement as RoomAnnouncement | null) ?? null
    s.poll = (f.poll as RoomPoll | null) ?? null
    s.lottery = (f.lottery as RoomLottery | null) ?? null
    s.questions = (f.questions as RoomQuestion[]) ?? []
    s.coupon = couponOf(f.coupon)
    // A server without video sends no `video`: keep what the page may have learnt elsewhere.
    if ('video' in f) s.video = videoOf(f.video)
    s.flashSales = Array.isArray(f.flash_sales) ? (f.flash_sales as unknown[]).map(flashSaleOf).filter((x): x is RoomFlashSale => !!x && x.phase !== 'ended') : []
    s.seq = num(f.seq, -1)
    s.joined = true
    s.status = 'live'
    const state = s.session?.state
    if (state === 'ended' || state === 'cancelled') this.finish('ended')
  }

  private onBatch(f: Json) {
    const s = this.state
    if (s.seq < 0 && !this.gotHello) return
    if (typeof f.online === 'number') s.online = f.online
    // likes only grow; this page's own taps are already counted
    if (typeof f.likes === 'number' && f.likes > s.likes) s.likes = f.likes
    if (f.stats && typeof f.stats === 'object') {
      s.stats = f.stats as RoomStats
      if (typeof s.stats.likes === 'number' && s.stats.likes > s.likes) s.likes = s.stats.likes
    }
    const base = s.seq
    const events = Array.isArray(f.events) ? (f.events as Json[]) : []
    for (const e of events) {
      // Idempotent: what the snapshot (or an earlier batch) already holds is skipped.
      if (typeof e.seq === 'number' && e.seq <= base) continue
      this.applyEvent(e)
    }
    // Advance to the batch's seq (the last logged event), not to the events' own seq numbers:
    // per-tick aggregates (poll_tally, lottery_entries) carry the next event's number.
    if (typeof f.seq === 'number' && f.seq > s.seq) s.seq = f.seq
  }

  private onErrorFrame(f: Json) {
    const e: RoomErrorFrame = { code: String(f.code ?? 'internal'), message: typeof f.message === 'string' ? f.message : '', ref: f.ref }
    if (typeof f.ref === 'number') {
      const h = this.refHandlers.get(f.ref)
      if (h) {
        this.refHandlers.delete(f.ref)
        try {
          h.fail(e)
        } catch {
          /* a page handler failing must not break the room */
        }
      }
    }
    this.opts.onError?.(e)
  }

  private notice(n: RoomNotice) {
    try {
      this.opts.onNotice?.(n)
    } catch {
      /* ignore */
    }
  }

  private applyEvent(e: Json) {
    const s = this.state
    const you = s.you
    switch (e.k) {
      case 'chat': {
        const m: ChatMessage = { id: num(e.id, 0), user: e.user as RoomUser, text: String(e.text ?? ''), at: num(e.at, Date.now()) }
        if (s.chat.some((c) => c.id === m.id)) break
        s.chat.push(m)
        if (s.chat.length > CHAT_KEEP) s.chat.splice(0, s.chat.length - CHAT_KEEP)
        this.notice({ kind: 'chat', message: m })
        break
      }
      case 'chat_refused': {
        s.refused.unshift({ user: e.user as RoomUser, text: String(e.text ?? ''), reason: String(e.reason ?? ''), at: num(e.at, Date.now()) })
        if (s.refused.length > CHAT_KEEP) s.refused.length = CHAT_KEEP
        break
      }
      case 'chat_deleted': {
        const id = num(e.id, NaN)
        s.chat = s.chat.filter((c) => c.id !== id)
        break
      }
      case 'chat_purged': {
        const account = num(e.account, NaN)
        s.chat = s.chat.filter((c) => c.user?.id !== account)
        break
      }
      case 'pin':
        s.pinned = bagEntryOf(e)
        break
      case 'unpin':
        s.pinned = null
        break
      case 'bag': {
        s.bag = bagOf(e.bag)
        const pinned = e.pinned as number | null
        s.pinned = pinned == null ? null : (s.bag.find((b) => b.product === pinned) ?? null)
        break
      }
      case 'announcement':
        s.announcement = { text: String(e.text ?? ''), at: num(e.at, Date.now()) }
        break
      case 'poll_opened':
      case 'poll_closed': {
        const p: RoomPoll = {
          id: num(e.id, 0),
          question: String(e.question ?? ''),
          options: (e.options as string[]) ?? [],
          counts: (e.counts as number[]) ?? [],
          open: e.open === true,
        }
        s.poll = p
        if (e.k === 'poll_opened') this.notice({ kind: 'poll_opened', poll: p })
        break
      }
      case 'poll_tally':
        if (s.poll && s.poll.id === e.id) s.poll.counts = (e.counts as number[]) ?? s.poll.counts
        break
      case 'lottery_opened': {
        const l = lotteryOf(e)
        s.lottery = l
        if (you) you.entered = false
        this.notice({ kind: 'lottery_opened', lottery: l })
        break
      }
      case 'lottery_entries':
        if (s.lottery && s.lottery.id === e.id) s.lottery.entries = num(e.entries, s.lottery.entries)
        break
      case 'lottery_drawn': {
        const l = lotteryOf(e)
        l.open = false
        s.lottery = l
        this.notice({ kind: 'lottery_drawn', lottery: l })
        break
      }
      case 'question':
      case 'question_updated': {
        const q = e as unknown as RoomQuestion
        const item: RoomQuestion = {
          id: num(q.id, 0),
          user: q.user,
          text: String(q.text ?? ''),
          upvotes: num(q.upvotes, 0),
          answer: q.answer ?? null,
          pinned: q.pinned === true,
          at: num(q.at, Date.now()),
        }
        const i = s.questions.findIndex((x) => x.id === item.id)
        if (i >= 0) s.questions.splice(i, 1, item)
        else s.questions.push(item)
        break
      }
      case 'follow': {
        const user = e.user as { id: number; nick: string }
        if (you && user && user.id === you.id) you.following = true
        if (user) this.notice({ kind: 'follow', user })
        break
      }
      case 'muted': {
        const account = num(e.account, NaN)
        const until = num(e.until, 0)
        s.muted[account] = until
        if (you && you.id === account) you.muted_until = until
        break
      }
      case 'banned': {
        const account = num(e.account, NaN)
        s.banned[account] = true
        if (you && you.id === account) you.banned = true
        break
      }
      case 'unbanned': {
        const account = num(e.account, NaN)
        delete s.banned[account]
        delete s.muted[account]
        if (you && you.id === account) {
          you.banned = false
          you.muted_until = null
        }
        break
      }
      case 'stock': {
        const product = num(e.product, NaN)
        const stock = num(e.stock, NaN)
        if (!Number.isFinite(product) || !Number.isFinite(stock)) break
        for (const b of s.bag) if (b.product === product) b.stock = stock
        if (s.pinned && s.pinned.product === product) s.pinned.stock = stock
        break
      }
      case 'purchase': {
        const p: RoomPurchase = {
          key: this.nextPurchaseKey++,
          product: num(e.product, 0),
          title: String(e.title ?? ''),
          buyer: String(e.buyer ?? ''),
          quantity: num(e.quantity, 1),
          at: Date.now(),
        }
        s.purchases.push(p)
        if (s.purchases.length > PURCHASES_KEEP) s.purchases.splice(0, s.purchases.length - PURCHASES_KEEP)
        this.notice({ kind: 'purchase', purchase: p })
        break
      }
      case 'coupon': {
        s.coupon = couponOf(e.coupon)
        this.notice({ kind: 'coupon', coupon: s.coupon })
        break
      }
      case 'flash_sale': {
        const sale = flashSaleOf(e)
        if (!sale) break
        const i = s.flashSales.findIndex((x) => x.id === sale.id)
        if (sale.phase === 'ended') {
          if (i >= 0) s.flashSales.splice(i, 1)
        } else if (i >= 0) s.flashSales.splice(i, 1, sale)
        else s.flashSales.push(sale)
        this.notice({ kind: 'flash_sale', sale })
        break
      }
      case 'flash_stock': {
        const sale = s.flashSales.find((x) => x.id === e.id)
        if (!sale) break
        sale.remaining = Math.max(0, num(e.remaining, sale.remaining))
        if (e.sold_out === true) sale.phase = 'sold_out'
        else if (sale.phase === 'sold_out' && sale.remaining > 0) sale.phase = 'running'
        break
      }
      case 'video': {
        // The fields are the event's own (like flash_sale's); `video: {…}` is taken too.
        const video = videoOf(e.video && typeof e.video === 'object' ? e.video : e)
        if (!video) break
        s.video = video
        this.notice({ kind: 'video', video })
        break
      }
      case 'session_state': {
        const state = String(e.state ?? '')
        if (s.session) s.session.state = state
        if (state !== 'live' && state !== 'scheduled') this.finish('ended')
        break
      }
      default:
      // event kinds this page does not know are ignored
    }
  }
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback
}

/** A bag entry of a snapshot, `bag` or `pin` event (`live_price_min_fen` is null when absent). */
function bagEntryOf(e: Json): RoomBagEntry {
  const live = e.live_price_min_fen
  return {
    position: num(e.position, 0),
    product: num(e.product, 0),
    title: String(e.title ?? ''),
    image: (e.image as string | null) ?? null,
    price_min_fen: num(e.price_min_fen, 0),
    price_max_fen: num(e.price_max_fen, 0),
    live_price_min_fen: typeof live === 'number' && Number.isFinite(live) ? live : null,
    stock: num(e.stock, 0),
  }
}

function bagOf(v: unknown): RoomBagEntry[] {
  return Array.isArray(v) ? v.filter((x) => x && typeof x === 'object').map((x) => bagEntryOf(x as Json)) : []
}

/** The coupon card of a snapshot or `coupon` event, or null (none on offer). */
function couponOf(v: unknown): RoomCoupon | null {
  if (!v || typeof v !== 'object') return null
  const c = v as Json
  const id = num(c.id, NaN)
  if (!Number.isFinite(id)) return null
  return {
    id,
    name: String(c.name ?? ''),
    rule: (c.rule as RoomCoupon['rule']) ?? { kind: 'fixed' },
    scope: (c.scope as RoomCoupon['scope']) ?? { kind: 'all' },
    valid_from: String(c.valid_from ?? ''),
    valid_until: String(c.valid_until ?? ''),
    left: typeof c.left === 'number' ? c.left : null,
  }
}

/** A flash sale of a snapshot or `flash_sale` event, or null when it is not one. */
function flashSaleOf(v: unknown): RoomFlashSale | null {
  if (!v || typeof v !== 'object') return null
  const e = v as Json
  const id = num(e.id, NaN)
  if (!Number.isFinite(id)) return null
  const phase = String(e.phase ?? '')
  return {
    id,
    product: num(e.product, 0),
    sku: num(e.sku, 0),
    title: String(e.title ?? ''),
    price_fen: num(e.price_fen, 0),
    list_price_fen: num(e.list_price_fen, 0),
    quota: num(e.quota, 0),
    remaining: num(e.remaining, 0),
    per_customer: Math.max(1, num(e.per_customer, 1)),
    members_only: e.members_only === true,
    starts_at: String(e.starts_at ?? ''),
    ends_at: String(e.ends_at ?? ''),
    phase: phase === 'upcoming' || phase === 'running' || phase === 'sold_out' || phase === 'ended' ? phase : 'upcoming',
  }
}

/**
 * The room's video of a snapshot, `video` event or public session, or null when it is not one.
 * A `live` state without a playlist to play is taken as offline.
 */
export function videoOf(v: unknown): RoomVideo | null {
  if (!v || typeof v !== 'object') return null
  const e = v as Json
  if (e.state !== 'live' && e.state !== 'offline') return null
  const str = (x: unknown) => (typeof x === 'string' && x ? x : null)
  const hls = str(e.hls_url)
  const live = e.state === 'live' && hls !== null
  // ms as the contract says; an RFC 3339 string is read too
  const since = typeof e.since === 'number' ? e.since : typeof e.since === 'string' ? Date.parse(e.since) : NaN
  return {
    state: live ? 'live' : 'offline',
    hls_url: live ? hls : null,
    demo_clip_url: str(e.demo_clip_url),
    since: Number.isFinite(since) ? since : null,
  }
}

function lotteryOf(e: Json): RoomLottery {
  return {
    id: num(e.id, 0),
    title: String(e.title ?? ''),
    prize: String(e.prize ?? ''),
    winners_wanted: num(e.winners_wanted, 1),
    keyword: (e.keyword as string | null) ?? null,
    condition: (e.condition as string | null) ?? null,
    entries: num(e.entries, 0),
    open: e.open !== false,
    winners: (e.winners as { id: number; nick: string }[] | null) ?? null,
    seed: (e.seed as string | null) ?? null,
    entrants: (e.entrants as number[]) ?? undefined,
  }
}

/**
 * The live price to show for a bag entry: the session's lowest live price when it set one below
 * the list price, otherwise null (show the list price as before).
 */
export function livePriceOf(entry: RoomBagEntry): number | null {
  const live = entry.live_price_min_fen
  return live !== null && live < entry.price_min_fen ? live : null
}

/** Whether `you` is muted right now. */
export function isMuted(you: RoomYou | null, now = Date.now()): boolean {
  return !!you && typeof you.muted_until === 'number' && you.muted_until > now
}

/** Whether the account `id` won the lottery. */
export function wonLottery(lottery: RoomLottery | null, id: number | null | undefined): boolean {
  if (!lottery || id == null || !lottery.winners) return false
  return lottery.winners.some((w) => w.id === id)
}
