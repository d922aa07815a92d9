// Signed-in customer (or staff) for the viewer app. Not signed in is normal here.
import { ref } from 'vue'
import { api, ApiError } from '@shared/api'
import type { Account } from '@shared/types'

export const me = ref<Account | null>(null)
export const meLoaded = ref(false)

export async function loadMe(): Promise<Account | null> {
  try {
    me.value = await api.get<Account>('/auth/me')
  } catch (e) {
    if (!(e instanceof ApiError) || e.status === 401 || e.status === 403) me.value = null
  } finally {
    meLoaded.value = true
  }
  return me.value
}

export async function logout() {
  try {
    await api.post('/auth/logout')
  } finally {
    me.value = null
  }
}
