// The console's side of pre-announcements (docs/notifications.md): a session's tracking links and
// poster, webhooks and the outbox of deliveries.
import { api, buildUrl } from '@shared/api'
import type { Notification, ReminderState } from '@shared/announce'

export type { Notification, ReminderState }
export { OUTBOX_CHANNELS, OUTBOX_STATES } from '@shared/announce'

/** A tracking link of one channel of promotion, with its clicks and the reminders it brought. */
export interface PromoLink {
  id: number
  session_id: number
  /** 8 characters. */
  code: string
  label: string
  /** The path to share: `/p/{code}`. */
  path: string
  clicks: number
  reminders: number
  created_at: string
}

export interface WebhookInfo {
  id: number
  url: string
  /** In full only in the answer that created it; masked (`abc123…`) after. */
  secret: string
  enabled: boolean
  created_at: string
}

/** The server's bounds. */
export const LINK_LABEL_MAX = 40
export const LINKS_MAX = 50
export const WEBHOOK_URL_MAX = 500

/** The poster's size in pixels (the SVG's and the PNG's). */
export const POSTER_WIDTH = 750
export const POSTER_HEIGHT = 1334

const s = (id: number | string) => `/sessions/${encodeURIComponent(id)}`

export const announceApi = {
  links: (sessionId: number | string) => api.get<{ items: PromoLink[] }>(s(sessionId) + '/links'),
  addLink: (sessionId: number | string, label: string) => api.post<PromoLink>(s(sessionId) + '/links', { label }),
  deleteLink: (sessionId: number | string, linkId: number) => api.del(s(sessionId) + '/links/' + linkId),
  reminders: (sessionId: number | string) => api.get<ReminderState>(`/public/sessions/${encodeURIComponent(sessionId)}/reminders`),
  webhooks: () => api.get<{ items: WebhookInfo[] }>('/webhooks'),
  addWebhook: (url: string) => api.post<WebhookInfo>('/webhooks', { url }),
  deleteWebhook: (id: number) => api.del(`/webhooks/${id}`),
  ping: (id: number) => api.post<{ notification_id: number }>(`/webhooks/${id}/ping`),
  outbox: (filter: { state?: string; channel?: string }) => api.get<{ items: Notification[] }>('/outbox', filter),
}

/** The link as people open it: `https://shop.example/p/{code}`. */
export function shortUrl(link: Pick<PromoLink, 'path'>): string {
  return location.origin + link.path
}

/** The poster's address, with the link's QR code when a code is given. */
export function posterUrl(sessionId: number | string, code?: string | null): string {
  return buildUrl(`/public/sessions/${encodeURIComponent(sessionId)}/poster.svg`, code ? { src: code } : undefined)
}

/** The poster's SVG text (for the downloads, and a second try when the image fails to load). */
export async function fetchPoster(sessionId: number | string, code?: string | null): Promise<string> {
  const res = await fetch(posterUrl(sessionId, code), { credentials: 'include' })
  if (!res.ok) throw new Error(`poster: HTTP ${res.status}`)
  return await res.text()
}

/**
 * Draws an SVG onto a canvas of the poster's size and gives the PNG. The SVG is loaded from a blob
 * (same origin), so the canvas is not tainted and can be exported.
 */
export async function svgToPng(svg: string, width = POSTER_WIDTH, height = POSTER_HEIGHT): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml;charset=utf-8' }))
  try {
    const img = new Image()
    img.decoding = 'async'
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve()
      img.onerror = () => reject(new Error('the poster could not be drawn'))
      img.src = url
    })
    const canvas = document.createElement('canvas')
    canvas.width = width
    canvas.height = height
    const ctx = canvas.getContext('2d')
    if (!ctx) throw new Error('no canvas')
    ctx.fillStyle = '#ffffff'
    ctx.fillRect(0, 0, width, height)
    ctx.drawImage(img, 0, 0, width, height)
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be made'))), 'image/png'))
  } finally {
    URL.revokeObjectURL(url)
  }
}

/** Hands a blob to the browser as a download named `name`. */
export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** A file name for the poster: `poster-12-微博.png` (characters a file system refuses dropped). */
export function posterFileName(sessionId: number | string, label: string | null, ext: 'png' | 'svg'): string {
  const clean = (label ?? '').replace(/[\\/:*?"<>|\s]+/g, '').slice(0, 40)
  return `poster-${sessionId}${clean ? '-' + clean : ''}.${ext}`
}

export { copyText } from '@shared/clipboard'
