// Brand info (GET /api/v1/brand, public), shared by both apps.
import { reactive } from 'vue'
import { api } from './api'
import type { Brand } from './types'
import { DEFAULT_TIME_ZONE, setFormatCurrency, setFormatTimeZone } from './format'

export const brand = reactive<Brand & { loaded: boolean }>({
  name: '',
  logo_url: null,
  time_zone: DEFAULT_TIME_ZONE,
  currency: 'CNY',
  loaded: false,
})

export function applyBrand(b: Brand) {
  brand.name = b.name
  brand.logo_url = b.logo_url || null
  brand.time_zone = b.time_zone || DEFAULT_TIME_ZONE
  brand.currency = b.currency || 'CNY'
  brand.loaded = true
  setFormatTimeZone(brand.time_zone)
  setFormatCurrency(brand.currency)
}

let inflight: Promise<Brand | null> | null = null

export function loadBrand(force = false): Promise<Brand | null> {
  if (inflight && !force) return inflight
  inflight = api
    .get<Brand>('/brand')
    .then((b) => {
      applyBrand(b)
      return b
    })
    .catch(() => null)
  return inflight
}
