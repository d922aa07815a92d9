// Types mirroring the sellstream HTTP API (/api/v1).

export type Role = 'admin' | 'operator' | 'host' | 'controller' | 'analyst' | 'warehouse' | 'talent_manager'
export const ALL_ROLES: Role[] = ['admin', 'operator', 'host', 'controller', 'analyst', 'warehouse', 'talent_manager']

export interface Account {
  id: number
  kind: 'staff' | 'customer'
  username: string | null
  nickname: string
  phone: string | null
  email: string | null
  roles: Role[]
  disabled: boolean
  created_at: string
}

export interface LoginResponse {
  token: string
  expires_at: string
  account: Account
}

export interface Page<T> {
  items: T[]
  page: number
  per_page: number
  total: number
}

export interface Brand {
  name: string
  logo_url: string | null
  time_zone: string
  currency: string
}

export interface Host {
  id: number
  nickname: string
  username: string | null
}

export interface Channel {
  code: string
  name: string
  /** `own` (the brand's own room) or the platform of an account elsewhere (see PLATFORMS). */
  platform: string
  /** The account as the platform shows it (e.g. @brand_official); empty when not given. */
  account: string
  /** The team's notes on the audience there (who watches, what works); may be empty. */
  notes: string
  /** The stream key's last characters when push credentials are set (they are never shown back). */
  push_hint: string | null
}

/** Platforms a channel account can be on; `own` is the brand's own room, made by the server. */
export type Platform = 'own' | 'taobao' | 'douyin' | 'kuaishou' | 'wechat_channels'
export const PLATFORMS: Platform[] = ['own', 'taobao', 'douyin', 'kuaishou', 'wechat_channels']

export interface Sku {
  id?: number
  code: string
  attributes: Record<string, string>
  price_fen: number
  stock: number
}

export interface Product {
  id: number
  title: string
  description: string
  images: string[]
  on_shelf: boolean
  /** The category it is filed under, or null (uncategorised). */
  category_id: number | null
  /** Units one customer may buy in all (1–999), or null for no limit. */
  purchase_limit: number | null
  skus: Sku[]
  price_min_fen: number
  price_max_fen: number
  total_stock: number
  created_at: string
  updated_at: string
}

export interface ProductInput {
  title: string
  description: string
  images: string[]
  on_shelf: boolean
  category_id: number | null
  purchase_limit: number | null
  skus: Sku[]
}

/** A node of the product category tree (GET /categories lists them parents first). */
export interface Category {
  id: number
  name: string
  parent_id: number | null
  /** Order among siblings, smallest first. */
  position: number
  /** Products filed directly under this category. */
  products: number
}

export interface CategoryInput {
  name: string
  parent_id: number | null
  position: number
}

/** Deepest nesting of the category tree the server accepts (a top category is level 1). */
export const CATEGORY_MAX_DEPTH = 4

/** Most units a per-customer purchase limit may be. */
export const PURCHASE_LIMIT_MAX = 999

export type SessionState = 'scheduled' | 'live' | 'ended' | 'cancelled'
export const SESSION_STATES: SessionState[] = ['scheduled', 'live', 'ended', 'cancelled']

export type SessionTheme = 'new_launch' | 'limited_discount' | 'festival_sale' | 'interactive_game' | 'custom'
export const SESSION_THEMES: SessionTheme[] = ['new_launch', 'limited_discount', 'festival_sale', 'interactive_game', 'custom']

/** How a session is presented (docs/calendar.md): 产品展示, 互动, 话题, 教程. */
export type SessionFormat = 'showcase' | 'interactive' | 'topic' | 'tutorial'
export const SESSION_FORMATS: SessionFormat[] = ['showcase', 'interactive', 'topic', 'tutorial']

/** The server's bounds on a session's festival and promotion policy (422 beyond them). */
export const FESTIVAL_MAX = 20
export const POLICY_MAX = 500

export const KNOWN_CHANNELS = ['own', 'taobao', 'douyin', 'kuaishou', 'wechat_channels']

export interface Session {
  id: number
  title: string
  theme: SessionTheme
  format: SessionFormat
  /** The festival sale it belongs to (618, 双11…), if any. */
  festival: string | null
  /** The session's offer in words (满减, gifts, coupons); may be empty. */
  promotion_policy: string
  channel: string
  host_id: number | null
  host_name: string | null
  scheduled_start: string
  scheduled_end: string
  cover_url: string | null
  /** Targets (null: none): GMV after refunds in fen, viewers (UV), orders. */
  target_gmv_fen: number | null
  target_viewers: number | null
  target_orders: number | null
  state: SessionState
  started_at: string | null
  ended_at: string | null
  /**
   * Set for a private practice session (带播练习) of this live-practice course: only staff open its
   * room, viewers never see it listed and it takes no orders. Not a real show.
   */
  practice_course_id: number | null
  bag_count: number
  created_at: string
  updated_at: string
}

export interface SessionInput {
  title: string
  theme: SessionTheme
  /** A PUT replaces these too: send what the session has. */
  format: SessionFormat
  festival: string | null
  promotion_policy: string
  channel: string
  host_id: number | null
  scheduled_start: string
  scheduled_end: string
  cover_url: string | null
  /** Targets, each optional (null: none); a PUT replaces them all. */
  target_gmv_fen: number | null
  target_viewers: number | null
  target_orders: number | null
}

/** A SKU's live price (直播价) in one session, at most its list price. */
export interface LivePrice {
  sku_id: number
  price_fen: number
}

export interface BagItem {
  position: number
  product: Product
  /** This session's live prices for some of the product's SKUs (the others sell at list price). */
  live_prices: LivePrice[]
}

export interface Bag {
  items: BagItem[]
}

export interface PublicSession extends Session {
  bag: BagItem[]
  /** The room's video (see RoomVideo in room.ts); absent from servers without video. */
  video?: unknown
}

/** One recorded publish of a session: an MP4 served with byte ranges (plays and seeks). */
export interface Recording {
  id: number
  session_id: number
  url: string
  started_at: string
  duration_ms: number
  bytes: number
  expires_at: string
}

/** A product pinned while recording, as an offset from that recording's start. */
export interface ReplayChapter {
  recording_id: number
  offset_ms: number
  product_id: number
}

/** `GET /public/sessions/{id}/replay`: recordings oldest first and their product chapters. */
export interface Replay {
  recordings: Recording[]
  chapters: ReplayChapter[]
}

/**
 * The stream key of a session (`GET /sessions/{id}/stream-key`), never the key itself: OBS's
 * "Server" (`server_url`) and the key's last characters (`hint`), whether an encoder publishes now.
 */
export interface StreamKeyStatus {
  exists: boolean
  hint: string | null
  created_at: string | null
  server_url: string
  publishing: boolean
  publish_started_at: string | null
  last_publish_ended_at: string | null
}

/** A key just issued or rotated (`POST /sessions/{id}/stream-key`, 201): the only time it is shown. */
export interface IssuedStreamKey {
  key: string
  hint: string
  created_at: string
  server_url: string
}

/**
 * One channel a session's stream is pushed to (`GET /sessions/{id}/simulcast`): only channels with
 * push credentials are listed. `waiting`: the relay is ready, the host is not streaming yet;
 * `retrying`: the platform refused or dropped it (`last_error` says why); `failed`: 5+ failures
 * in a row (still retried, slowly).
 */
export type SimulcastState = 'stopped' | 'waiting' | 'pushing' | 'retrying' | 'failed'

export interface SimulcastTarget {
  channel: string
  platform: string
  name: string
  /** Whether staff asked for it to be pushed. */
  wanted: boolean
  state: SimulcastState
  last_error: string | null
  /** Failures since it last pushed. */
  attempts: number
  since: string | null
  push_hint: string | null
}

export interface Overview {
  sessions_live: number
  sessions_scheduled: number
  products_on_shelf: number
  today: Session[]
}

/** Legal state transitions of a live session. */
export const TRANSITIONS: Record<SessionState, SessionState[]> = {
  scheduled: ['live', 'cancelled'],
  live: ['ended'],
  ended: [],
  cancelled: [],
}

// ---------- buying: addresses, checkout, orders, payments ----------

export interface Address {
  id: number
  recipient: string
  phone: string
  /** Province, city and district, e.g. `浙江省 杭州市 西湖区`. */
  region: string
  /** Street, building and room. */
  detail: string
  is_default: boolean
  created_at: string
}

export interface AddressInput {
  recipient: string
  phone: string
  region: string
  detail: string
  is_default: boolean
}

export interface CheckoutItem {
  sku_id: number
  quantity: number
}

/** Which coupon to price with: the best one (default), none, or a held one by its wallet id. */
export type CouponChoice = { kind: 'best' } | { kind: 'none' } | { kind: 'use'; id: number }

/** Body of POST /checkout/preview and POST /orders (prices are never sent). */
export interface OrderRequest {
  session_id?: number | null
  items: CheckoutItem[]
  coupon: CouponChoice
  points: number
  address_id?: number | null
  note?: string
}

export type PriceLineKind = 'goods' | 'live_price' | 'membership' | 'campaign' | 'coupon' | 'points' | 'shipping'

/** One line that explains a total: goods, then each discount (negative), then shipping. */
export interface PriceLine {
  kind: PriceLineKind
  label: string
  amount: number
  /** The coupon or campaign behind this line. */
  ref_id: number | null
}

export interface PricedLine {
  sku_id: number
  quantity: number
  unit_price: number
  amount: number
  membership: number
  campaign: number
  coupon: number
  points: number
  payable: number
}

/** Whether a held coupon could be used on this cart, and the total it would give. */
export interface CouponOption {
  id: number
  name: string
  usable: boolean
  reason: string | null
  total: number | null
}

export interface Quote {
  lines: PricedLine[]
  price_lines: PriceLine[]
  goods_payable: number
  shipping: number
  total: number
  coupon_id: number | null
  campaign_id: number | null
  points_used: number
  coupon_options: CouponOption[]
}

export type OrderState = 'pending_payment' | 'paid' | 'shipped' | 'delivered' | 'completed' | 'cancelled' | 'refund_requested' | 'refunded'
export const ORDER_STATES: OrderState[] = ['pending_payment', 'paid', 'shipped', 'delivered', 'completed', 'refund_requested', 'refunded', 'cancelled']

export interface OrderLine {
  line_no: number
  sku_id: number
  product_id: number
  title: string
  sku_code: string
  attributes: Record<string, string>
  image: string | null
  quantity: number
  unit_price: number
  amount: number
  membership: number
  campaign: number
  coupon: number
  points_fen: number
  /** What this line cost; a refund of the line gives back exactly this. */
  payable: number
  refunded: boolean
}

export interface OrderHistoryEntry {
  from_state: OrderState | null
  to_state: OrderState
  /** `customer`, `staff`, `system` or `provider`. */
  actor: string
  actor_id?: number | null
  note: string
  at: string
}

export interface OrderRefund {
  id: number
  amount_fen: number
  line_nos: number[]
  reason: string
  state: string
  provider_ref?: string | null
  at: string
}

export interface OrderAddress {
  recipient: string
  phone: string
  region: string
  detail: string
}

export interface Order {
  id: number
  number: string
  customer_id: number
  customer_name: string
  session_id: number | null
  channel: string
  state: OrderState
  goods_fen: number
  shipping_fen: number
  total_fen: number
  refunded_fen: number
  coupon_id: number | null
  campaign_id: number | null
  points_used: number
  /** The flash sale it was bought in, if any. */
  flash_sale_id?: number | null
  membership_tier: string | null
  address: OrderAddress
  note: string
  price_lines: PriceLine[]
  lines: OrderLine[]
  /** An unpaid order is cancelled at this time. */
  pay_deadline: string
  tracking_no: string | null
  cancel_reason: string | null
  paid_at: string | null
  shipped_at: string | null
  delivered_at: string | null
  completed_at: string | null
  created_at: string
  history: OrderHistoryEntry[]
  refunds: OrderRefund[]
}

export type PayMethod = 'alipay' | 'wechat'
export const PAY_METHODS: PayMethod[] = ['alipay', 'wechat']

/** POST /me/orders/{id}/pay: where to pay, and how much (the server's figure). */
export interface PaymentStarted {
  trade_no: string
  amount_fen: number
  pay_url: string
  pay_deadline: string
}

/** GET /sandbox-pay/{trade_no}: a payment attempt as the pay page shows it. */
export interface PaymentInfo {
  trade_no: string
  order_id: number
  order_number: string
  amount_fen: number
  /** `pending`, `succeeded`, `refunded_late` or `superseded`. */
  state: string
  method: PayMethod | null
  pay_deadline: string
  order_state: OrderState
}

export type PayOutcome = 'paid' | 'duplicate' | 'refunded_late' | 'not_paid'

export interface ConfirmAnswer {
  outcome: PayOutcome
  order_id: number
}

// ---------- promotions ----------

export type CouponRule =
  | { kind: 'fixed'; off: number }
  | { kind: 'percent'; off_bp: number; cap: number | null }
  | { kind: 'threshold'; min_spend: number; off: number }

export type PromoScope = { kind: 'all' } | { kind: 'products'; ids: number[] } | { kind: 'categories'; ids: number[] }

export interface CouponRecord {
  id: number
  name: string
  rule: CouponRule
  scope: PromoScope
  valid_from: string
  valid_until: string
  /** Coupons that may be handed out in all (null: no limit). */
  total_quantity: number | null
  /** How many one customer may hold over time. */
  per_customer: number
  /** Handed out so far (issued and claimed). */
  granted: number
  used: number
  claimable: boolean
  active: boolean
  created_at: string
}

export interface CouponInput {
  name: string
  rule: CouponRule
  scope: PromoScope
  valid_from: string
  valid_until: string
  total_quantity: number | null
  per_customer: number
  claimable: boolean
  active: boolean
}

export type HeldCouponState = 'available' | 'used' | 'expired' | 'not_yet_valid'

/** A coupon in a customer's wallet; `id` is what checkout's coupon choice names. */
export interface HeldCoupon {
  id: number
  coupon_id: number
  name: string
  rule: CouponRule
  scope: PromoScope
  valid_from: string
  valid_until: string
  state: HeldCouponState
  /** `issued` by staff or `claimed` in a room. */
  source: string
  session_id: number | null
  order_id: number | null
  granted_at: string
}

export interface IssueResult {
  issued: number
  results: { customer_id: number; held_id: number | null; reason: string | null }[]
}

export type CampaignRule =
  | { kind: 'tiered'; tiers: { min_spend: number; off: number }[] }
  | { kind: 'every_full'; every: number; off: number; cap: number | null }

export interface CampaignRecord {
  id: number
  name: string
  rule: CampaignRule
  scope: PromoScope
  starts_at: string
  ends_at: string
  active: boolean
  created_at: string
}

export interface CampaignInput {
  name: string
  rule: CampaignRule
  scope: PromoScope
  starts_at: string
  ends_at: string
  active: boolean
}

// ---------- members and points ----------

export interface CommerceSettings {
  /** Points worth one yuan when spent. */
  points_per_yuan: number
  /** Share of the goods points may pay, in basis points. */
  points_max_share_bp: number
  /** Points earned per yuan paid (granted when an order completes). */
  points_earn_per_yuan: number
  points_valid_days: number
  payment_window_secs: number
  shipping_fee_fen: number
  free_shipping_from_fen: number | null
  auto_complete_days: number
}

export interface MemberTier {
  name: string
  min_spend_fen: number
  /** Basis points off every line (500 = 5 % off). */
  off_bp: number
}

export interface MemberStatus {
  spend_12m_fen: number
  tier: MemberTier | null
  next_tier: MemberTier | null
  to_next_fen: number | null
}

export type PointsReason = 'earn' | 'spend' | 'return' | 'expire' | 'adjust'

export interface PointsEntry {
  id: number
  delta: number
  reason: PointsReason | string
  order_id: number | null
  expires_at: string | null
  balance_after: number
  note: string
  at: string
}

export interface MyPoints {
  summary: { balance: number; expiring_soon: number; next_expiry: string | null }
  history: Page<PointsEntry>
}

// ---------- flash sales (秒杀) ----------

/** `upcoming` counts down to `starts_at`; `running` sells until `ends_at`; `sold_out`; `ended`. */
export type FlashPhase = 'upcoming' | 'running' | 'sold_out' | 'ended'

/** A flash sale as the REST API answers it (POST/GET /sessions/{id}/flash-sales, public list). */
export interface FlashSale {
  id: number
  session_id: number
  product_id: number
  sku_id: number
  title: string
  /** Units set aside from the SKU's stock at launch. */
  quota: number
  remaining: number
  price_fen: number
  /** The SKU's list price, struck through next to the flash price. */
  list_price_fen: number
  per_customer: number
  members_only: boolean
  starts_at: string
  ends_at: string
  ended_at: string | null
  /** Unsold units given back to the SKU when the sale ended. */
  returned: number
  phase: FlashPhase
  created_at?: string
  strategy?: string
}

/** A sale with this node's live figures (GET /sessions/{id}/flash-sales, staff). */
export interface FlashSaleFigures extends FlashSale {
  orders: number
  gmv_fen: number
  /** Buys waiting for the writer now. */
  queue_depth: number
  /** Mean buys per committed batch. */
  mean_batch: number
  mean_commit_ms: number
}

/** What the controller sends to launch a sale (POST /sessions/{id}/flash-sales). */
export interface FlashSaleInput {
  sku_id: number
  quota: number
  price_fen: number
  per_customer: number
  members_only: boolean
  title?: string
  countdown_secs?: number
  starts_at?: string
  duration_secs: number
}

/** Body of POST /checkout/preview and POST /orders for a flash-sale buy (no coupon, no points). */
export interface FlashOrderRequest {
  flash_sale_id: number
  session_id: number
  items: CheckoutItem[]
  address_id: number | null
  note?: string
}
