import { ref, type Ref } from 'vue'
import { api } from '@shared/api'
import type { Page } from '@shared/types'
import { notifyError } from './notify'

/** A paged list of `path` (GET with page and per_page) for a console table and its pagination. */
export function usePagedList<T>(path: string) {
  const items = ref([]) as Ref<T[]>
  const total = ref(0)
  const page = ref(1)
  const perPage = ref(20)
  const loading = ref(false)

  async function load() {
    loading.value = true
    try {
      const res = await api.get<Page<T>>(path, { page: page.value, per_page: perPage.value })
      items.value = res.items
      total.value = res.total
    } catch (e) {
      notifyError(e)
    } finally {
      loading.value = false
    }
  }

  return { items, total, page, perPage, loading, load }
}
