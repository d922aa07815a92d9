import { createApp, watch } from 'vue'
import {
  Button,
  Cell,
  CellGroup,
  ConfigProvider,
  Empty,
  Field,
  Form,
  Icon,
  Image as VanImage,
  List,
  Loading,
  Locale,
  NavBar,
  NoticeBar,
  Popup,
  Progress,
  PullRefresh,
  Radio,
  RadioGroup,
  Skeleton,
  Step,
  Steps,
  Stepper,
  Switch,
  Tab,
  Tabbar,
  TabbarItem,
  Tabs,
  Tag,
} from 'vant'
import vantZhCN from 'vant/es/locale/lang/zh-CN'
import vantEnUS from 'vant/es/locale/lang/en-US'
import 'vant/lib/index.css'
import '@shared/shared.css'
import './viewer.css'
import App from './App.vue'
import { router } from './router'
import { createAppI18n, currentLang, type Lang } from '@shared/i18n'
import { loadBrand } from '@shared/brand'

const i18n = createAppI18n()

function applyVantLocale(lang: Lang) {
  if (lang === 'en') Locale.use('en-US', vantEnUS)
  else Locale.use('zh-CN', vantZhCN)
}
applyVantLocale(currentLang.value)
watch(currentLang, applyVantLocale)

loadBrand()

const app = createApp(App)
app.use(i18n)
app.use(router)
for (const c of [
  Button,
  Cell,
  CellGroup,
  ConfigProvider,
  Empty,
  Field,
  Form,
  Icon,
  VanImage,
  List,
  Loading,
  NavBar,
  NoticeBar,
  Popup,
  Progress,
  PullRefresh,
  Radio,
  RadioGroup,
  Skeleton,
  Step,
  Steps,
  Stepper,
  Switch,
  Tab,
  Tabbar,
  TabbarItem,
  Tabs,
  Tag,
]) {
  app.use(c)
}
app.mount('#app')
