// 复盘 (post-live review notes) and their action items: the API's shapes under
// /api/v1/sessions/{id}/review-notes, /api/v1/sessions/{id}/actions and /api/v1/actions, and the
// staff a new item may be given to.
import { api } from '@shared/api'
import { brand } from '@shared/brand'
import { getFormatTimeZone, utcToWall } from '@shared/format'
import type { Account, Host, Page } from '@shared/types'
import type { Metrics } from './analytics/types'
import { can, me } from './auth'

/** The server's bounds (422 beyond them). */
export const MAX_NOTES_CHARS = 5000
export const MAX_ACTION_CHARS = 300

export interface ActionItem {
  id: number
  /** The session whose review raised it. */
  session_id: number
  session_title: string
  text: string
  owner_id: number
  owner_name: string
  /** YYYY-MM-DD. */
  due_on: string
  done_at: string | null
  /** Still open after its due day (Asia/Shanghai). */
  overdue: boolean
  created_at: string
}

export interface ActionInput {
  text: string
  owner_id: number
  due_on: string
  done?: boolean
}

export interface ReviewNotes {
  session_id: number
  went_well: string
  to_improve: string
  updated_by: string | null
  updated_at: string | null
  actions: ActionItem[]
  /** The session's figures (GET only; null when the session has none). */
  metrics?: Metrics | null
}

export const reviewApi = {
  notes: (sessionId: number | string) => api.get<ReviewNotes>(`/sessions/${encodeURIComponent(sessionId)}/review-notes`),
  saveNotes: (sessionId: number | string, body: { went_well: string; to_improve: string }) =>
    api.put<ReviewNotes>(`/sessions/${encodeURIComponent(sessionId)}/review-notes`, body),
  addAction: (sessionId: number | string, body: ActionInput) => api.post<ActionItem>(`/sessions/${encodeURIComponent(sessionId)}/actions`, body),
  updateAction: (id: number, body: ActionInput) => api.put<ActionItem>(`/actions/${id}`, body),
  deleteAction: (id: number) => api.del(`/actions/${id}`),
  openActions: () => api.get<{ items: ActionItem[] }>('/actions'),
}

/** The body that puts an item back as it is, with `done` set. */
export function toggledInput(a: ActionItem, done: boolean): ActionInput {
  return { text: a.text, owner_id: a.owner_id, due_on: a.due_on, done }
}

export interface OwnerOption {
  id: number
  name: string
}

/**
 * Staff an item may be given to. Only admins may list every staff account (GET /staff), so the
 * others choose among the hosts (GET /hosts) and themselves; owners of existing items (`keep`) are
 * always offered so editing one does not lose its owner.
 */
export async function loadOwnerOptions(keep: ActionItem[] = []): Promise<OwnerOption[]> {
  const out = new Map<number, OwnerOption>()
  if (can.admin.value) {
    const res = await api.get<Page<Account>>('/staff', { per_page: 100 })
    for (const a of res.items) if (!a.disabled) out.set(a.id, { id: a.id, name: a.nickname || a.username || String(a.id) })
  } else {
    const res = await api.get<{ items: Host[] }>('/hosts')
    for (const h of res.items) out.set(h.id, { id: h.id, name: h.nickname || h.username || String(h.id) })
    if (me.value && !out.has(me.value.id)) out.set(me.value.id, { id: me.value.id, name: me.value.nickname || me.value.username || String(me.value.id) })
  }
  for (const a of keep) if (!out.has(a.owner_id)) out.set(a.owner_id, { id: a.owner_id, name: a.owner_name })
  return [...out.values()]
}

/** A day `days` from today in the brand's time zone, YYYY-MM-DD. */
export function dayFromToday(days: number): string {
  const tz = brand.time_zone || getFormatTimeZone()
  return utcToWall(new Date(Date.now() + days * 86_400_000).toISOString(), tz).slice(0, 10)
}
