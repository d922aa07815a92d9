// Pre-announcements and notifications (docs/notifications.md): the shapes both apps read, and the
// countdown to a session's start.

/** How many asked to be reminded of a session, and whether the signed-in customer did. */
export interface ReminderState {
  session_id: number
  reminders: number
  reminded: boolean
}

/** One of the customer's reminders (GET /me/reminders). */
export interface MyReminder {
  session_id: number
  title: string
  state: string
  scheduled_start: string
  cover_url: string | null
  created_at: string
}

/** A message of the outbox: a customer's inbox entry (in_app), or any channel's row for staff. */
export interface Notification {
  id: number
  /** session.started, ping… */
  topic: string
  /** in_app, webhook, sms or email. */
  channel: string
  session_id: number | null
  title: string
  body: string
  payload: Record<string, unknown>
  /** pending, sending, sent or failed. */
  state: string
  attempts: number
  next_attempt_at: string
  last_error: string | null
  created_at: string
  sent_at: string | null
  read_at: string | null
  /** The address, masked (staff view only; empty in a customer's inbox). */
  target: string
}

export const OUTBOX_STATES = ['pending', 'sending', 'sent', 'failed'] as const
export const OUTBOX_CHANNELS = ['in_app', 'webhook', 'sms', 'email'] as const

/** The session's title a `session.started` message names, when its payload has one. */
export function startedTitle(n: Pick<Notification, 'payload'>): string | null {
  const s = n.payload?.session
  if (s && typeof s === 'object' && typeof (s as { title?: unknown }).title === 'string') return (s as { title: string }).title
  return null
}

/** A countdown split for display: whole days, then hours, minutes and seconds of the rest. */
export interface CountdownParts {
  days: number
  hours: number
  minutes: number
  seconds: number
  /** Milliseconds left (0 once it is due). */
  ms: number
}

export function countdownParts(ms: number): CountdownParts {
  const left = Math.max(0, ms)
  const s = Math.ceil(left / 1000)
  return {
    days: Math.floor(s / 86_400),
    hours: Math.floor((s % 86_400) / 3600),
    minutes: Math.floor((s % 3600) / 60),
    seconds: s % 60,
    ms: left,
  }
}

export const pad2 = (n: number) => String(n).padStart(2, '0')

/**
 * Milliseconds to add to Date.now() for the server's clock, from a response's `Date` header
 * (whole seconds) and when the request went and came back; 0 without a usable header.
 */
export function offsetFromDateHeader(date: string | null, sentAt: number, receivedAt: number): number {
  if (!date) return 0
  const server = Date.parse(date)
  if (!Number.isFinite(server)) return 0
  // the header truncates to the second: its middle is half a second later
  const off = server + 500 - (sentAt + receivedAt) / 2
  // within a second or two the local clock is as good (and not rounded)
  return Math.abs(off) < 1500 ? 0 : off
}
