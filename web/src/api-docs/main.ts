// API docs page: swagger-ui bundled from the npm package (no CDN).
import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-es-bundle.js'
import 'swagger-ui-dist/swagger-ui.css'
import '@shared/shared.css'
import './api-docs.css'
import { storedLang, persistLang, translate, LANGS, type Lang } from '@shared/messages'

const SPEC_URL = '/api/v1/openapi.json'

let lang: Lang = storedLang()
document.documentElement.lang = lang

function renderHeader() {
  const header = document.getElementById('docs-header')!
  header.innerHTML = ''
  const left = document.createElement('div')
  left.className = 'docs-left'
  const mark = document.createElement('span')
  mark.className = 'docs-mark'
  mark.textContent = 'S'
  const title = document.createElement('span')
  title.className = 'docs-title'
  title.dataset.testid = 'docs-title'
  title.textContent = translate(lang, 'apiDocs.title')
  left.append(mark, title)

  const right = document.createElement('div')
  right.className = 'docs-right'
  const sw = document.createElement('div')
  sw.className = 'docs-lang'
  for (const l of LANGS) {
    const b = document.createElement('button')
    b.type = 'button'
    b.textContent = translate(l, 'common.langName')
    if (l === lang) b.className = 'on'
    b.addEventListener('click', () => {
      lang = l
      persistLang(l)
      document.documentElement.lang = l
      renderHeader()
    })
    sw.append(b)
  }
  const back = document.createElement('a')
  back.href = '/console/'
  back.className = 'docs-back'
  back.textContent = translate(lang, 'apiDocs.backToConsole')
  right.append(sw, back)
  header.append(left, right)
  document.title = translate(lang, 'apiDocs.title') + ' · ' + translate(lang, 'common.brandFallback')
}

renderHeader()

fetch('/api/v1/brand', { credentials: 'include' })
  .then((r) => (r.ok ? r.json() : null))
  .then((b: { name?: string } | null) => {
    if (b?.name) {
      const mark = document.querySelector('.docs-mark')
      if (mark) mark.textContent = b.name.slice(0, 1)
    }
  })
  .catch(() => undefined)

SwaggerUIBundle({
  url: SPEC_URL,
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
  tryItOutEnabled: false,
  withCredentials: true,
  requestInterceptor: (req: { credentials?: string }) => {
    req.credentials = 'include'
    return req
  },
})
