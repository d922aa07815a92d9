import { createRouter, createWebHistory } from 'vue-router'
import { me, meLoaded, loadMe } from './account'

declare module 'vue-router' {
  interface RouteMeta {
    tab?: boolean
    title?: string
    /** Pages of a signed-in account: others are sent to sign in first. */
    auth?: boolean
  }
}

export const router = createRouter({
  history: createWebHistory('/'),
  scrollBehavior(_to, _from, saved) {
    return saved || { top: 0 }
  },
  routes: [
    { path: '/', name: 'home', component: () => import('./pages/HomePage.vue'), meta: { tab: true, title: '' } },
    { path: '/live/:id', name: 'live', component: () => import('./pages/LivePage.vue'), props: true },
    { path: '/replay/:id', name: 'replay', component: () => import('./pages/ReplayPage.vue'), props: true },
    // the earlier session page's address leads into the live room
    { path: '/s/:id', name: 'session', redirect: (to) => ({ name: 'live', params: { id: to.params.id }, query: to.query }) },
    { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { title: 'viewer.login.title' } },
    { path: '/register', name: 'register', component: () => import('./pages/RegisterPage.vue'), meta: { title: 'viewer.register.title' } },
    { path: '/me', name: 'me', component: () => import('./pages/MePage.vue'), meta: { tab: true, title: 'viewer.me.title' } },
    { path: '/me/orders', name: 'orders', component: () => import('./pages/OrdersPage.vue'), meta: { title: 'viewer.orders.title', auth: true } },
    { path: '/me/orders/:id', name: 'order', component: () => import('./pages/OrderDetailPage.vue'), props: true, meta: { title: 'viewer.orders.detailTitle', auth: true } },
    { path: '/me/coupons', name: 'coupons', component: () => import('./pages/CouponsPage.vue'), meta: { title: 'viewer.coupons.title', auth: true } },
    { path: '/me/points', name: 'points', component: () => import('./pages/PointsPage.vue'), meta: { title: 'viewer.points.title', auth: true } },
    { path: '/pay/:tradeNo', name: 'pay', component: () => import('./pages/PayPage.vue'), props: true, meta: { title: 'viewer.pay.title', auth: true } },
    { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue'), meta: { title: 'errors.notFound' } },
  ],
})

router.beforeEach(async (to) => {
  if (!to.meta.auth) return true
  if (!meLoaded.value || !me.value) await loadMe()
  if (me.value) return true
  return { name: 'login', query: { redirect: to.fullPath } }
})
