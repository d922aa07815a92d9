// Human text for a failed API call in the current language.
// English: the server's message (it is written for people). Chinese: a
// localized summary for known codes, followed by the server's detail.
import { ApiError } from './api'
import { translate, messages, type Lang } from './messages'

export function describeError(e: unknown, lang: Lang): string {
  if (e instanceof ApiError) {
    if (e.code === 'network_error') return translate(lang, 'errors.network')
    const codes = messages[lang].errors.code as Record<string, string>
    const local = codes[e.code]
    const server = e.message && e.message !== e.code ? e.message : ''
    if (lang === 'en') return server || local || translate(lang, 'errors.unknown')
    if (local && server) return `${local}（${server}）`
    return local || server || translate(lang, 'errors.unknown')
  }
  if (e instanceof Error && e.message) return e.message
  return translate(lang, 'errors.unknown')
}

/**
 * Text for an error frame of the live room (docs/protocol.md, "Error codes"): a localized
 * summary for known codes plus the server's message, which says why (e.g. the refused word).
 */
export function describeRoomError(code: string, message: string, lang: Lang): string {
  const codes = messages[lang].errors.room as Record<string, string>
  const local = codes[code]
  const server = message && message !== code ? message : ''
  if (!local) return server || translate(lang, 'errors.unknown')
  if (!server) return local
  return lang === 'en' ? `${local}: ${server}` : `${local}（${server}）`
}
