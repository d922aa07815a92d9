// Labels of API enum codes through i18n, falling back to the raw code / server name.
import type { Composer } from 'vue-i18n'

type T = Pick<Composer, 't' | 'te'>

export function roleLabel(i: T, role: string): string {
  return i.te('enums.role.' + role) ? i.t('enums.role.' + role) : role
}
export function stateLabel(i: T, state: string): string {
  return i.te('enums.state.' + state) ? i.t('enums.state.' + state) : state
}
export function themeLabel(i: T, theme: string): string {
  return i.te('enums.theme.' + theme) ? i.t('enums.theme.' + theme) : theme
}
export function channelLabel(i: T, code: string, serverName?: string | null): string {
  if (i.te('enums.channel.' + code)) return i.t('enums.channel.' + code)
  return serverName || code
}
/** The platform a channel account is on (渠道), e.g. 抖音; unknown codes as they are. */
export function platformLabel(i: T, platform: string): string {
  return i.te('enums.platform.' + platform) ? i.t('enums.platform.' + platform) : platform
}
/** How a session is presented (产品展示, 互动, 话题, 教程). */
export function formatLabel(i: T, format: string): string {
  return i.te('enums.format.' + format) ? i.t('enums.format.' + format) : format
}
/** What a calendar conflict is about: the host, the channel account or the stock. */
export function conflictLabel(i: T, kind: string): string {
  return i.te('enums.conflict.' + kind) ? i.t('enums.conflict.' + kind) : kind
}
