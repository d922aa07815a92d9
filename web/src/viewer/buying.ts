// Buying in the viewer: the room's products with their SKUs and live prices (from the public
// session), the per-room cart (kept in sessionStorage so a sign-in detour keeps it), and the
// customer's last payment method.
import { api } from '@shared/api'
import type { PayMethod, Product, PublicSession, Sku } from '@shared/types'

export interface RoomProduct {
  product: Product
  /** sku id → live price (fen), for the SKUs this session prices below list. */
  live: Map<number, number>
}

const cache = new Map<string, { at: number; products: Map<number, RoomProduct> }>()
const FRESH_MS = 15_000

/** The session's bag products with SKUs (GET /public/sessions/{id}), cached for a few seconds. */
export async function roomProducts(sessionId: number | string, force = false): Promise<Map<number, RoomProduct>> {
  const key = String(sessionId)
  const hit = cache.get(key)
  if (hit && !force && Date.now() - hit.at < FRESH_MS) return hit.products
  const s = await api.get<PublicSession>('/public/sessions/' + encodeURIComponent(key))
  const products = new Map<number, RoomProduct>()
  for (const item of s.bag ?? []) {
    const live = new Map<number, number>()
    for (const lp of item.live_prices ?? []) live.set(lp.sku_id, lp.price_fen)
    products.set(item.product.id, { product: item.product, live })
  }
  cache.set(key, { at: Date.now(), products })
  return products
}

/** What one unit of a SKU costs in this room: its live price when below list, else list. */
export function unitPrice(rp: RoomProduct, sku: Sku): number {
  const live = sku.id !== undefined ? rp.live.get(sku.id) : undefined
  return live !== undefined && live < sku.price_fen ? live : sku.price_fen
}

export interface CartItem {
  product_id: number
  sku_id: number
  quantity: number
  title: string
  image: string | null
  attributes: Record<string, string>
  /** Shown before the server's quote arrives; the quote decides. */
  unit_price: number
  list_price: number
  stock: number
  purchase_limit: number | null
}

function cartKey(sessionId: number | string) {
  return 'sellstream.cart.' + sessionId
}

export function loadCart(sessionId: number | string): CartItem[] {
  try {
    const raw = sessionStorage.getItem(cartKey(sessionId))
    const v = raw ? JSON.parse(raw) : []
    return Array.isArray(v) ? (v as CartItem[]).filter((x) => x && typeof x.sku_id === 'number' && x.quantity > 0) : []
  } catch {
    return []
  }
}

export function saveCart(sessionId: number | string, items: CartItem[]) {
  try {
    if (items.length) sessionStorage.setItem(cartKey(sessionId), JSON.stringify(items))
    else sessionStorage.removeItem(cartKey(sessionId))
  } catch {
    /* storage unavailable */
  }
}

/** Adds (or raises the quantity of) a SKU in the cart. */
export function addToCart(cart: CartItem[], item: CartItem): CartItem[] {
  const next = cart.map((c) => ({ ...c }))
  const same = next.find((c) => c.sku_id === item.sku_id)
  if (same) same.quantity = Math.min(same.quantity + item.quantity, Math.max(1, item.stock))
  else next.push({ ...item })
  return next
}

/** Units of a product already in the cart, leaving out one SKU. */
export function productQuantity(cart: CartItem[], productId: number, exceptSku?: number): number {
  return cart.filter((c) => c.product_id === productId && c.sku_id !== exceptSku).reduce((n, c) => n + c.quantity, 0)
}

const METHOD_KEY = 'sellstream.payMethod'

export function lastPayMethod(): PayMethod {
  try {
    const v = localStorage.getItem(METHOD_KEY)
    if (v === 'alipay' || v === 'wechat') return v
  } catch {
    /* storage unavailable */
  }
  return 'alipay'
}

export function rememberPayMethod(m: PayMethod) {
  try {
    localStorage.setItem(METHOD_KEY, m)
  } catch {
    /* storage unavailable */
  }
}
