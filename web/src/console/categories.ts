// The product category tree for the console: loaded once per page that needs it and shared
// (product list, product form, category management).
import { ref } from 'vue'
import { api } from '@shared/api'
import type { Category } from '@shared/types'

export interface CategoryNode extends Category {
  /** 0 for a top category, 1 for its children, … */
  depth: number
  /** Names from the top down, e.g. "美妆 › 口红". */
  path: string
}

export const PATH_SEPARATOR = ' › '

/** Adds depth and path to a list in tree order (parents before children, as the server lists them). */
export function toNodes(list: Category[]): CategoryNode[] {
  const byId = new Map<number, CategoryNode>()
  const out: CategoryNode[] = []
  for (const c of list) {
    const parent = c.parent_id === null ? undefined : byId.get(c.parent_id)
    const node: CategoryNode = {
      ...c,
      depth: parent ? parent.depth + 1 : 0,
      path: parent ? parent.path + PATH_SEPARATOR + c.name : c.name,
    }
    byId.set(c.id, node)
    out.push(node)
  }
  return out
}

/** The tree, in the order GET /categories gives it. */
export const categories = ref<CategoryNode[]>([])
export const categoriesLoading = ref(false)

/** Loads (or reloads) the tree; throws the API error for the caller to show. */
export async function loadCategories(): Promise<CategoryNode[]> {
  categoriesLoading.value = true
  try {
    categories.value = toNodes(await api.get<Category[]>('/categories'))
    return categories.value
  } finally {
    categoriesLoading.value = false
  }
}

/** "美妆 › 口红" for a category id, or null when there is none (or it is unknown). */
export function categoryPath(id: number | null | undefined): string | null {
  if (id === null || id === undefined) return null
  return categories.value.find((c) => c.id === id)?.path ?? null
}

