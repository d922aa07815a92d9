import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router'
import { setUnauthorizedHandler } from '@shared/api'
import type { Role } from '@shared/types'
import {
  ensureMe,
  forgetMe,
  hasAnyRole,
  me,
  ADMIN_ROLES,
  ANALYTICS_ROLES,
  CUSTOMER_VALUE_ROLES,
  HOST_RECORD_ROLES,
  IMPORT_ROLES,
  MODERATION_ROLES,
  ORDER_ROLES,
  OUTBOX_ROLES,
  PRACTICE_READER_ROLES,
  PROFILE_READER_ROLES,
  ROOM_ROLES,
  TALENT_ROLES,
  WRITE_ROLES,
} from './auth'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    roles?: Role[]
    title?: string
    menu?: string
  }
}

export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { public: true, title: 'console.login.title' } },
    {
      path: '/',
      component: () => import('./layout/ConsoleLayout.vue'),
      children: [
        { path: '', name: 'overview', component: () => import('./pages/OverviewPage.vue'), meta: { title: 'console.menu.overview', menu: 'overview' } },
        { path: 'products', name: 'products', component: () => import('./pages/ProductsPage.vue'), meta: { title: 'console.menu.products', menu: 'products' } },
        {
          path: 'products/new',
          name: 'product-new',
          component: () => import('./pages/ProductEditPage.vue'),
          meta: { title: 'console.productForm.createTitle', menu: 'products', roles: WRITE_ROLES },
        },
        {
          path: 'products/:id',
          name: 'product-edit',
          component: () => import('./pages/ProductEditPage.vue'),
          props: true,
          meta: { title: 'console.productForm.editTitle', menu: 'products' },
        },
        // any staff member reads the calendar (a host alone sees their own sessions); operators and admins move sessions (the page knows)
        { path: 'calendar', name: 'calendar', component: () => import('./pages/CalendarPage.vue'), meta: { title: 'console.menu.calendar', menu: 'calendar' } },
        { path: 'sessions', name: 'sessions', component: () => import('./pages/SessionsPage.vue'), meta: { title: 'console.menu.sessions', menu: 'sessions' } },
        {
          path: 'sessions/new',
          name: 'session-new',
          component: () => import('./pages/SessionEditPage.vue'),
          meta: { title: 'console.sessionForm.createTitle', menu: 'sessions', roles: WRITE_ROLES },
        },
        {
          path: 'sessions/:id',
          name: 'session-detail',
          component: () => import('./pages/SessionDetailPage.vue'),
          props: true,
          meta: { title: 'console.sessionDetail.info', menu: 'sessions' },
        },
        {
          path: 'sessions/:id/room',
          name: 'session-room',
          component: () => import('./pages/RoomConsolePage.vue'),
          props: true,
          meta: { title: 'console.room.title', menu: 'sessions', roles: ROOM_ROLES },
        },
        {
          path: 'sessions/:id/script',
          name: 'session-script',
          component: () => import('./pages/SessionScriptPage.vue'),
          props: true,
          // any staff member reads a script; the page knows who writes
          meta: { title: 'console.scripts.title', menu: 'sessions' },
        },
        {
          path: 'sessions/:id/content-sheet',
          name: 'session-content-sheet',
          component: () => import('./pages/SessionContentSheetPage.vue'),
          props: true,
          // any staff member reads a content sheet
          meta: { title: 'console.contentSheet.title', menu: 'sessions' },
        },
        // any staff member reads the templates; operators and admins write them (the page knows)
        { path: 'script-templates', name: 'script-templates', component: () => import('./pages/ScriptTemplatesPage.vue'), meta: { title: 'console.menu.scriptTemplates', menu: 'script-templates' } },
        {
          path: 'sessions/:id/dashboard',
          name: 'session-dashboard',
          component: () => import('./pages/LiveDashboardPage.vue'),
          props: true,
          meta: { title: 'console.analytics.dashboard.title', menu: 'analytics', roles: ANALYTICS_ROLES },
        },
        {
          path: 'sessions/:id/report',
          name: 'session-report',
          component: () => import('./pages/SessionReportPage.vue'),
          props: true,
          meta: { title: 'console.analytics.report.title', menu: 'analytics', roles: ANALYTICS_ROLES },
        },
        { path: 'analytics', name: 'analytics', component: () => import('./pages/AnalyticsPage.vue'), meta: { title: 'console.menu.analytics', menu: 'analytics', roles: ANALYTICS_ROLES } },
        // evaluation (docs/analytics-evaluation.md): before/after, correlation, attribution — every
        // reader of the figures; customer value tiers (docs/customer-value.md) — operator, analyst
        {
          path: 'analytics/compare',
          name: 'analytics-compare',
          component: () => import('./pages/ComparePage.vue'),
          meta: { title: 'console.menu.compare', menu: 'analytics-compare', roles: ANALYTICS_ROLES },
        },
        {
          path: 'analytics/correlation',
          name: 'analytics-correlation',
          component: () => import('./pages/CorrelationPage.vue'),
          meta: { title: 'console.menu.correlation', menu: 'analytics-correlation', roles: ANALYTICS_ROLES },
        },
        {
          path: 'analytics/attribution',
          name: 'analytics-attribution',
          component: () => import('./pages/AttributionPage.vue'),
          meta: { title: 'console.menu.attribution', menu: 'analytics-attribution', roles: ANALYTICS_ROLES },
        },
        {
          path: 'analytics/customer-value',
          name: 'analytics-customer-value',
          component: () => import('./pages/CustomerValuePage.vue'),
          meta: { title: 'console.menu.customerValue', menu: 'analytics-customer-value', roles: CUSTOMER_VALUE_ROLES },
        },
        // other platforms' data (docs/imports.md, docs/competitors.md): importing exports is the
        // operators' and analysts'; the comparison and the competitor watch are every reader's
        {
          path: 'analytics/imports',
          name: 'analytics-imports',
          component: () => import('./pages/ImportsPage.vue'),
          meta: { title: 'console.menu.imports', menu: 'analytics-imports', roles: IMPORT_ROLES },
        },
        {
          path: 'analytics/cross-platform',
          name: 'analytics-cross-platform',
          component: () => import('./pages/CrossPlatformPage.vue'),
          meta: { title: 'console.menu.crossPlatform', menu: 'analytics-cross-platform', roles: ANALYTICS_ROLES },
        },
        {
          path: 'analytics/competitors',
          name: 'analytics-competitors',
          component: () => import('./pages/CompetitorsPage.vue'),
          meta: { title: 'console.menu.competitors', menu: 'analytics-competitors', roles: ANALYTICS_ROLES },
        },
        {
          path: 'sessions/:id/edit',
          name: 'session-edit',
          component: () => import('./pages/SessionEditPage.vue'),
          props: true,
          meta: { title: 'console.sessionForm.editTitle', menu: 'sessions', roles: WRITE_ROLES },
        },
        { path: 'orders', name: 'orders', component: () => import('./pages/OrdersPage.vue'), meta: { title: 'console.menu.orders', menu: 'orders', roles: ORDER_ROLES } },
        { path: 'coupons', name: 'coupons', component: () => import('./pages/CouponsPage.vue'), meta: { title: 'console.menu.coupons', menu: 'coupons' } },
        { path: 'campaigns', name: 'campaigns', component: () => import('./pages/CampaignsPage.vue'), meta: { title: 'console.menu.campaigns', menu: 'campaigns' } },
        { path: 'commerce', name: 'commerce', component: () => import('./pages/CommercePage.vue'), meta: { title: 'console.menu.commerce', menu: 'commerce' } },
        { path: 'staff', name: 'staff', component: () => import('./pages/StaffPage.vue'), meta: { title: 'console.menu.staff', menu: 'staff', roles: ADMIN_ROLES } },
        {
          path: 'moderation',
          name: 'moderation',
          component: () => import('./pages/ModerationPage.vue'),
          meta: { title: 'console.moderation.title', menu: 'moderation', roles: MODERATION_ROLES },
        },
        // any staff member checks wording and reads the rules; only admins change the rules (the page knows)
        { path: 'compliance', name: 'compliance', component: () => import('./pages/CompliancePage.vue'), meta: { title: 'console.compliance.title', menu: 'compliance' } },
        // any staff member assesses the platforms; admin and operator edit the profiles (the page knows)
        { path: 'platforms', name: 'platforms', component: () => import('./pages/PlatformsPage.vue'), meta: { title: 'console.menu.platforms', menu: 'platforms' } },
        // any staff member reads the channels; admin and operator change them (the page knows)
        { path: 'channels', name: 'channels', component: () => import('./pages/ChannelsPage.vue'), meta: { title: 'console.menu.channels', menu: 'channels' } },
        { path: 'brand', name: 'brand', component: () => import('./pages/BrandPage.vue'), meta: { title: 'console.menu.brand', menu: 'brand', roles: ADMIN_ROLES } },
        // admin and operator read the outbox; only admins see and change the webhooks (the page knows)
        {
          path: 'notifications',
          name: 'notifications',
          component: () => import('./pages/NotificationsPage.vue'),
          meta: { title: 'console.menu.notifications', menu: 'notifications', roles: OUTBOX_ROLES },
        },
        // 主播 (docs/hosts.md): recruiting is the talent managers'; a candidate's page is also their
        // interviewers' (the server answers 404 to anyone else); every staff member finds their own
        // interviews and reads the courses; profiles and records are read by talent managers,
        // operators and analysts, and a host reads their own page and ranking row.
        { path: 'talent', name: 'talent', component: () => import('./pages/TalentBoardPage.vue'), meta: { title: 'console.menu.talent', menu: 'talent', roles: TALENT_ROLES } },
        {
          path: 'talent/candidates/:id',
          name: 'candidate',
          component: () => import('./pages/CandidatePage.vue'),
          props: true,
          meta: { title: 'console.talent.candidate.title', menu: 'talent' },
        },
        { path: 'interviews/mine', name: 'my-interviews', component: () => import('./pages/MyInterviewsPage.vue'), meta: { title: 'console.menu.myInterviews', menu: 'interviews' } },
        { path: 'hosts', name: 'hosts', component: () => import('./pages/HostsPage.vue'), meta: { title: 'console.menu.hosts', menu: 'hosts', roles: PROFILE_READER_ROLES } },
        {
          path: 'hosts/records',
          name: 'host-records',
          component: () => import('./pages/HostRecordsPage.vue'),
          meta: { title: 'console.menu.hostRecords', menu: 'host-records', roles: HOST_RECORD_ROLES },
        },
        {
          path: 'hosts/:id',
          name: 'host',
          component: () => import('./pages/HostPage.vue'),
          props: true,
          // a host alone opens their own page only (the server refuses others with 403)
          meta: { title: 'console.talent.host.title', menu: 'hosts', roles: HOST_RECORD_ROLES },
          beforeEnter: (to) => (hasAnyRole(PROFILE_READER_ROLES) || String(me.value?.id) === String(to.params.id) ? true : { name: 'forbidden' }),
        },
        { path: 'training', name: 'training', component: () => import('./pages/TrainingPage.vue'), meta: { title: 'console.menu.training', menu: 'training' } },
        // a practice show (docs/hosts.md "Live practice"): its trainers and its trainee (the server
        // answers 403 to another host)
        {
          path: 'training/practice/:sessionId',
          name: 'practice',
          component: () => import('./pages/PracticePage.vue'),
          props: true,
          meta: { title: 'console.talent.practice.title', menu: 'training', roles: PRACTICE_READER_ROLES },
        },
        {
          path: 'training/:id',
          name: 'course',
          component: () => import('./pages/CoursePage.vue'),
          props: true,
          meta: { title: 'console.talent.course.title', menu: 'training' },
        },
        { path: 'forbidden', name: 'forbidden', component: () => import('./pages/ForbiddenPage.vue'), meta: { title: 'console.forbidden.title' } },
        { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue'), meta: { title: 'console.notFound.title' } },
      ],
    },
  ],
})

router.beforeEach(async (to: RouteLocationNormalized) => {
  if (to.meta.public) {
    if (to.name === 'login') {
      const account = await ensureMe()
      if (account && account.kind === 'staff') return redirectTarget(to) ?? { name: 'overview' }
    }
    return true
  }
  const account = await ensureMe()
  if (!account || account.kind !== 'staff') {
    return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  if (to.meta.roles && !hasAnyRole(to.meta.roles)) return { name: 'forbidden' }
  return true
})

function redirectTarget(to: RouteLocationNormalized): string | null {
  const r = to.query.redirect
  return typeof r === 'string' && r.startsWith('/') && !r.startsWith('//') && !r.startsWith('/login') ? r : null
}

// Any 401 from the API while signed in means the session expired: go to sign-in.
setUnauthorizedHandler((_err, path) => {
  if (path.startsWith('/auth/login') || path.startsWith('/auth/me')) return
  const current = router.currentRoute.value
  if (current.meta.public) return
  if (me.value) forgetMe()
  router.replace({ name: 'login', query: { redirect: current.fullPath } })
})
