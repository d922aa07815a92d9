// The viewer's side of pre-announcements (docs/notifications.md): "remind me" on a scheduled
// session's page, the customer's reminders and in-app notifications.
import { api, ApiError, buildUrl } from '@shared/api'
import { offsetFromDateHeader, type MyReminder, type Notification, type ReminderState } from '@shared/announce'

export type { MyReminder, Notification, ReminderState }

const enc = encodeURIComponent

/**
 * The session's reminder count (no sign-in needed) and the server's clock: `offset` is what to add
 * to Date.now() for the server's time (from the answer's `Date` header; 0 when it has none).
 */
export async function reminderState(sessionId: number | string): Promise<{ state: ReminderState; offset: number }> {
  const sentAt = Date.now()
  let res: Response
  try {
    res = await fetch(buildUrl(`/public/sessions/${enc(sessionId)}/reminders`), { credentials: 'include', headers: { Accept: 'application/json' } })
  } catch (e) {
    throw new ApiError(0, 'network_error', e instanceof Error ? e.message : String(e))
  }
  const receivedAt = Date.now()
  if (!res.ok) throw new ApiError(res.status, 'http_' + res.status, res.statusText || 'HTTP ' + res.status)
  const state = (await res.json()) as ReminderState
  return { state, offset: offsetFromDateHeader(res.headers.get('date'), sentAt, receivedAt) }
}

export const announceApi = {
  /** Remind me when it starts; `src` is the tracking link's code the page was opened with. */
  remind: (sessionId: number, src?: string | null) => api.post<ReminderState>('/me/reminders', src ? { session_id: sessionId, src } : { session_id: sessionId }),
  forget: (sessionId: number) => api.del<ReminderState>(`/me/reminders/${enc(sessionId)}`),
  reminders: () => api.get<{ items: MyReminder[] }>('/me/reminders'),
  inbox: () => api.get<{ items: Notification[]; unread: number }>('/me/notifications'),
  markRead: (id: number) => api.post<void>(`/me/notifications/${enc(id)}/read`),
}
