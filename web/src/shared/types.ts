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
  skus: Sku[]
}

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

export interface BagItem {
  position: number
  product: Product
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
