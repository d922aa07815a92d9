import { createRouter, createWebHistory } from 'vue-router'

export const router = createRouter({
  history: createWebHistory('/'),
  scrollBehavior(_to, _from, saved) {
    return saved || { top: 0 }
  },
  routes: [
    { path: '/', name: 'home', component: () => import('./pages/HomePage.vue'), meta: { tab: true, title: '' } },
    { path: '/s/:id', name: 'session', component: () => import('./pages/SessionPage.vue'), props: true },
    { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { title: 'viewer.login.title' } },
    { path: '/register', name: 'register', component: () => import('./pages/RegisterPage.vue'), meta: { title: 'viewer.register.title' } },
    { path: '/me', name: 'me', component: () => import('./pages/MePage.vue'), meta: { tab: true, title: 'viewer.me.title' } },
    { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue'), meta: { title: 'errors.notFound' } },
  ],
})
