// Message catalogs and plain (Vue-free) helpers: language choice persisted in
// localStorage `sellstream.lang`, and a tiny translate() for non-Vue pages.
import zhCN, { type MessageSchema } from './locales/zh-CN'
import en from './locales/en'

export type { MessageSchema }
export type Lang = 'zh-CN' | 'en'
export const LANGS: Lang[] = ['zh-CN', 'en']
export const LANG_STORAGE_KEY = 'sellstream.lang'
export const DEFAULT_LANG: Lang = 'zh-CN'

export const messages: Record<Lang, MessageSchema> = { 'zh-CN': zhCN, en }

export function normalizeLang(v: string | null | undefined): Lang | null {
  if (!v) return null
  const s = v.toLowerCase()
  if (s === 'zh-cn' || s === 'zh' || s.startsWith('zh-')) return 'zh-CN'
  if (s === 'en' || s.startsWith('en-')) return 'en'
  return null
}

export function storedLang(): Lang {
  try {
    const v = normalizeLang(localStorage.getItem(LANG_STORAGE_KEY))
    if (v) return v
  } catch {
    /* storage unavailable */
  }
  return DEFAULT_LANG
}

export function persistLang(lang: Lang) {
  try {
    localStorage.setItem(LANG_STORAGE_KEY, lang)
  } catch {
    /* storage unavailable */
  }
}

/** Intl locale tag for formatting dates and numbers. */
export function intlLocale(lang: Lang): string {
  return lang === 'en' ? 'en-GB' : 'zh-CN'
}

/**
 * Plain lookup without Vue. Supports {name} interpolation and the {'x'}
 * literal syntax used in the catalogs.
 */
export function translate(lang: Lang, key: string, params: Record<string, string | number> = {}): string {
  let node: unknown = messages[lang]
  for (const part of key.split('.')) {
    if (node && typeof node === 'object' && part in (node as Record<string, unknown>)) {
      node = (node as Record<string, unknown>)[part]
    } else {
      node = undefined
      break
    }
  }
  if (typeof node !== 'string') return lang === DEFAULT_LANG ? key : translate(DEFAULT_LANG, key, params)
  return node.replace(/\{'([^']*)'\}|\{(\w+)\}/g, (_m, lit: string | undefined, name: string | undefined) =>
    lit !== undefined ? lit : name !== undefined && name in params ? String(params[name]) : '',
  )
}
