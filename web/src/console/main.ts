import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import '@shared/shared.css'
import './console.css'
import App from './App.vue'
import { router } from './router'
import { createAppI18n } from '@shared/i18n'
import { loadBrand } from '@shared/brand'

const i18n = createAppI18n()
loadBrand()

const app = createApp(App)
app.use(i18n)
app.use(router)
app.use(ElementPlus)
app.mount('#app')
