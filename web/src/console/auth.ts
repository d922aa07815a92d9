// Signed-in staff account for the console, and role checks.
import { computed, ref } from 'vue'
import { api, ApiError } from '@shared/api'
import type { Account, Role } from '@shared/types'

export const me = ref<Account | null>(null)
let checked = false

export async function ensureMe(): Promise<Account | null> {
  if (checked) return me.value
  try {
    me.value = await api.get<Account>('/auth/me')
  } catch (e) {
    if (e instanceof ApiError && e.status !== 401 && e.status !== 403) {
      // server unreachable etc.: treat as signed out but allow retry later
      checked = false
      me.value = null
      return null
    }
    me.value = null
  }
  checked = true
  return me.value
}

export function setMe(a: Account | null) {
  me.value = a
  checked = true
}

export function forgetMe() {
  me.value = null
  checked = true
}

export async function logout() {
  try {
    await api.post('/auth/logout')
  } finally {
    forgetMe()
  }
}

export function hasAnyRole(roles: readonly Role[] | undefined | null): boolean {
  if (!roles || roles.length === 0) return true
  const mine = me.value?.roles ?? []
  return roles.some((r) => mine.includes(r))
}

// See docs/api.md "Roles": writes to products and sessions (and cancelling a
// session) need admin/operator; going live, ending and editing the bag also
// host/controller. The server holds the truth; the UI only hides what would 403.
export const WRITE_ROLES: Role[] = ['admin', 'operator']
export const TRANSITION_ROLES: Role[] = ['admin', 'operator', 'host', 'controller']
export const BAG_ROLES: Role[] = ['admin', 'operator', 'host', 'controller']
export const ADMIN_ROLES: Role[] = ['admin']
// The live room: the server lets host, controller and operator (admin holds every role) run it.
export const ROOM_ROLES: Role[] = ['admin', 'operator', 'host', 'controller']
// The banned-word list: admin and controller read it, only admin changes it.
export const MODERATION_ROLES: Role[] = ['admin', 'controller']

// Buying (docs/api.md, the OpenAPI tags orders, promotions, members): the order desk (find, ship,
// deliver, cancel) is operator, controller and warehouse; refunds and promotions are operator's;
// analysts may export; a coupon is put on offer in a room by those who run rooms; the selling
// rules are admin's, the membership tiers admin's and operator's.
export const ORDER_ROLES: Role[] = ['admin', 'operator', 'controller', 'warehouse']
export const EXPORT_ROLES: Role[] = ['admin', 'operator', 'controller', 'warehouse', 'analyst']
export const REFUND_ROLES: Role[] = ['admin', 'operator']
export const PROMO_ROLES: Role[] = ['admin', 'operator']
export const OFFER_ROLES: Role[] = ROOM_ROLES
// The stream key (OBS): admin, operator and controller; hosts are given the key, not the button.
export const STREAM_ROLES: Role[] = ['admin', 'operator', 'host', 'controller']
// Channels (渠道): every staff member sees them; adding accounts and their push credentials is
// admin's and operator's. Simulcast (同步推流) is run by those who run the stream.
export const CHANNEL_ROLES: Role[] = ['admin', 'operator']
export const SIMULCAST_ROLES: Role[] = ['admin', 'operator', 'host', 'controller']
// 选平台 (platform choice): every staff member assesses and reads the profiles; admin and operator
// edit a profile's scores, notes and sources.
export const PLATFORM_ROLES: Role[] = ['admin', 'operator']
// Analytics (数据分析: live dashboard, review, comparison, trends): everyone but the warehouse.
export const ANALYTICS_ROLES: Role[] = ['admin', 'operator', 'analyst', 'host', 'controller']
// 用户价值分层 (docs/customer-value.md; routes/value.rs CUSTOMER_READERS): customers' figures are
// for those who run user operations — operator and analyst (and admin), not hosts or controllers.
// The evaluation pages (对比评估, 相关分析, 订单归因) are read by every ANALYTICS_ROLES member.
export const CUSTOMER_VALUE_ROLES: Role[] = ['admin', 'operator', 'analyst']
// Other platforms' data (docs/imports.md, docs/competitors.md; routes/imports.rs IMPORTERS,
// routes/competitors.rs WATCHERS): operators and analysts import exports, edit the column mappings
// and keep the competitor watch list; every ANALYTICS_ROLES member reads the cross-platform
// comparison, the watch list and the watch chart.
export const IMPORT_ROLES: Role[] = ['admin', 'operator', 'analyst']
export const COMPETITOR_WRITE_ROLES: Role[] = ['admin', 'operator', 'analyst']
// 复盘 (review notes and their action items): every staff member reads them; the team that ran the
// session (operator, host, controller) writes the notes and raises, closes and edits the items.
export const REVIEW_ROLES: Role[] = ['admin', 'operator', 'host', 'controller']
// 直播脚本 (docs/scripts.md): every staff member reads scripts and templates; the planners and the
// host who speaks them write a session's script; those who run the room follow it live and keep
// its keyword auto-replies; templates are the planners' (operator).
export const SCRIPT_ROLES: Role[] = ['admin', 'operator', 'host']
export const SCRIPT_RUN_ROLES: Role[] = ['admin', 'operator', 'host', 'controller']
export const TEMPLATE_ROLES: Role[] = ['admin', 'operator']
// 内容日历 (docs/calendar.md): every staff member reads the calendar and content sheets (a host who
// holds no other role sees their own sessions); the planners (operator) move sessions and plan
// units per product.
export const PLAN_ROLES: Role[] = ['admin', 'operator']
export const SEE_ALL_SESSIONS_ROLES: Role[] = ['admin', 'operator', 'controller', 'analyst', 'warehouse']
// 预告与通知 (docs/notifications.md): every staff member reads a session's tracking links; operators
// make them. The outbox is read by admin and operator; webhooks are admin's alone.
export const PROMOTE_ROLES: Role[] = ['admin', 'operator']
export const OUTBOX_ROLES: Role[] = ['admin', 'operator']
// 主播招聘、培训与考核 (docs/hosts.md; routes/talent.rs MANAGERS, PROFILE_READERS): talent managers
// run recruiting (the board, candidates' personal data, bookings, decisions, the weights), write
// profiles, courses, enrolments and assessments. Talent managers, operators and analysts read the
// host profiles, records, training and assessments; a host reads their own (and their own row of
// the ranking). Any staff member booked as an interviewer fills their sheets; anyone reads courses.
export const TALENT_ROLES: Role[] = ['admin', 'talent_manager']
export const PROFILE_READER_ROLES: Role[] = ['admin', 'talent_manager', 'operator', 'analyst']
export const HOST_RECORD_ROLES: Role[] = ['admin', 'talent_manager', 'operator', 'analyst', 'host']
// 带播练习 (docs/hosts.md, "Live practice"; routes/practice.rs TRAINERS): talent managers and
// operators set up practice sessions and score them; they and the trainee (a host, who sees only
// their own) read them. Going live and ending follow the session's TRANSITION_ROLES.
export const PRACTICE_TRAINER_ROLES: Role[] = ['admin', 'talent_manager', 'operator']
export const PRACTICE_READER_ROLES: Role[] = ['admin', 'talent_manager', 'operator', 'host']

export const can = {
  writeProducts: computed(() => hasAnyRole(WRITE_ROLES)),
  writeSessions: computed(() => hasAnyRole(WRITE_ROLES)),
  transition: computed(() => hasAnyRole(TRANSITION_ROLES)),
  cancelSession: computed(() => hasAnyRole(WRITE_ROLES)),
  editBag: computed(() => hasAnyRole(BAG_ROLES)),
  admin: computed(() => hasAnyRole(ADMIN_ROLES)),
  runRoom: computed(() => hasAnyRole(ROOM_ROLES)),
  viewWords: computed(() => hasAnyRole(MODERATION_ROLES)),
  viewOrders: computed(() => hasAnyRole(ORDER_ROLES)),
  exportOrders: computed(() => hasAnyRole(EXPORT_ROLES)),
  refund: computed(() => hasAnyRole(REFUND_ROLES)),
  writePromotions: computed(() => hasAnyRole(PROMO_ROLES)),
  offerCoupon: computed(() => hasAnyRole(OFFER_ROLES)),
  writeTiers: computed(() => hasAnyRole(WRITE_ROLES)),
  manageStream: computed(() => hasAnyRole(STREAM_ROLES)),
  writeChannels: computed(() => hasAnyRole(CHANNEL_ROLES)),
  simulcast: computed(() => hasAnyRole(SIMULCAST_ROLES)),
  editPlatforms: computed(() => hasAnyRole(PLATFORM_ROLES)),
  analytics: computed(() => hasAnyRole(ANALYTICS_ROLES)),
  customerValue: computed(() => hasAnyRole(CUSTOMER_VALUE_ROLES)),
  importData: computed(() => hasAnyRole(IMPORT_ROLES)),
  writeCompetitors: computed(() => hasAnyRole(COMPETITOR_WRITE_ROLES)),
  writeReview: computed(() => hasAnyRole(REVIEW_ROLES)),
  writeScripts: computed(() => hasAnyRole(SCRIPT_ROLES)),
  runScript: computed(() => hasAnyRole(SCRIPT_RUN_ROLES)),
  writeTemplates: computed(() => hasAnyRole(TEMPLATE_ROLES)),
  plan: computed(() => hasAnyRole(PLAN_ROLES)),
  seeAllSessions: computed(() => hasAnyRole(SEE_ALL_SESSIONS_ROLES)),
  promote: computed(() => hasAnyRole(PROMOTE_ROLES)),
  outbox: computed(() => hasAnyRole(OUTBOX_ROLES)),
  talent: computed(() => hasAnyRole(TALENT_ROLES)),
  readProfiles: computed(() => hasAnyRole(PROFILE_READER_ROLES)),
  hostRecords: computed(() => hasAnyRole(HOST_RECORD_ROLES)),
  practiceTrainer: computed(() => hasAnyRole(PRACTICE_TRAINER_ROLES)),
  readPractice: computed(() => hasAnyRole(PRACTICE_READER_ROLES)),
  /** A host's own host page (menu): any account holding the host role. */
  ownHostPage: computed(() => (me.value?.roles ?? []).includes('host')),
}
