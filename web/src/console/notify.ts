import { ElMessage } from 'element-plus'
import { ApiError } from '@shared/api'
import { currentLang } from '@shared/i18n'
import { describeError } from '@shared/errors'

/** Show an API (or other) error with ElMessage, using the server's error message. */
export function notifyError(e: unknown) {
  // An expired session is handled by the redirect to the sign-in page.
  if (e instanceof ApiError && e.status === 401 && e.code === 'unauthenticated') return
  ElMessage({ type: 'error', message: describeError(e, currentLang.value), grouping: true, showClose: true, duration: 4500 })
}

export function notifySuccess(message: string) {
  ElMessage({ type: 'success', message, grouping: true })
}
