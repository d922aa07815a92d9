import { createRouter, createWebHistory } from 'vue-router'

export const router = createRouter({
  history: createWebHistory('/'),
  scrollBehavior(_to, _from, saved) {
    return saved || { top: 0 }
  },
  routes: [
    { path: '/', name: 'home', component: () => import('./pages/HomePage.vue'), meta: { tab: true, title: '' } },
    { path: '/live/:id', name: 'live', component: () => import('./pages/LivePage.vue'), props: true },
    // the earlier session page's address leads into the live room
    { path: '/s/:id', name: 'session', redirect: (to) => ({ name: 'live', params: { id: to.params.id }, query: to.query }) },
    { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { title: 'viewer.login.title' } },
    { path: '/register', name: 'register', component: () => import('./pages/RegisterPage.vue'), meta: { title: 'viewer.register.title' } },
    { path: '/me', name: 'me', component: () => import('./pages/MePage.vue'), meta: { tab: true, title: 'viewer.me.title' } },
    { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue'), meta: { title: 'errors.notFound' } },
  ],
})
