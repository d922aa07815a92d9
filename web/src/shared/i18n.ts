// vue-i18n setup shared by the viewer and the console.
// zh-CN is the default; the choice is persisted in localStorage `sellstream.lang`.
import { createI18n } from 'vue-i18n'
import { ref } from 'vue'
import { messages, storedLang, persistLang, intlLocale, type Lang, type MessageSchema } from './messages'
import { setFormatLocale } from './format'

export * from './messages'

function applyDocumentLang(lang: Lang) {
  if (typeof document !== 'undefined') document.documentElement.lang = lang
  setFormatLocale(intlLocale(lang))
}

/** Reactive current language (mirrors i18n.global.locale). */
export const currentLang = ref<Lang>(storedLang())

function makeI18n(lang: Lang) {
  return createI18n<[MessageSchema], Lang, false>({
    legacy: false,
    globalInjection: true,
    locale: lang,
    fallbackLocale: 'zh-CN',
    messages,
    missingWarn: false,
    fallbackWarn: false,
  })
}

export type AppI18n = ReturnType<typeof makeI18n>
let instance: AppI18n | null = null

export function createAppI18n(): AppI18n {
  const lang = storedLang()
  currentLang.value = lang
  applyDocumentLang(lang)
  instance = makeI18n(lang)
  return instance
}

/** Switch language, persist it and update <html lang>. */
export function setLang(lang: Lang) {
  if (instance) instance.global.locale.value = lang
  currentLang.value = lang
  persistLang(lang)
  applyDocumentLang(lang)
}
