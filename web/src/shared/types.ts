// Types mirroring the sellstream HTTP API (/api/v1).

export type Role = 'admin' | 'operator' | 'host' | 'controller' | 'analyst' | 'warehouse'
export const ALL_ROLES: Role[] = ['admin', 'operator', 'host', 'controller', 'analyst', 'warehouse']

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
}

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

export const KNOWN_CHANNELS = ['own', 'taobao', 'douyin', 'kuaishou', 'wechat_channels']

export interface Session {
  id: number
  title: string
  theme: SessionTheme
  channel: string
  host_id: number | null
  host_name: string | null
  scheduled_start: string
  scheduled_end: string
  cover_url: string | null
  state: SessionState
  started_at: string | null
  ended_at: string | null
  bag_count: number
  created_at: string
  updated_at: string
}

export interface SessionInput {
  title: string
  theme: SessionTheme
  channel: string
  host_id: number | null
  scheduled_start: string
  scheduled_end: string
  cover_url: string | null
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
