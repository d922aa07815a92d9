// Browser test of 直播脚本 (run-of-show scripts) against the real sellstream server, in zh-CN.
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream node --test tests/e2e/scripts.test.mjs
//
// Starts the demo server. The admin signs in; a new scheduled session of 90 minutes is planned
// through the API (and a script template too, when none fits). From the session's page the admin
// opens 脚本, starts it 从模板开始 (saved as version 1), writes 全网最低价 into the first segment's
// lines and saves: the hit is shown under the lines with its rule. Applying the rewrite
// (直播间专享价) re-checks the lines at once, and the next save has no hit left. Someone else then
// saves through the API: the editor's next save is refused (409) and reloads their version, which
// the versions drawer lists with its note and compares with the one before. The session goes
// live; in the room console the script panel starts the run: segment 1 with its timer, then 下一环节
// makes segment 2 current, and the script reads two runs. Screenshots:
// web/test-results/scripts-*.png.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { byTestId, consoleSignIn, field, newZhContext, settle, shot, startDemo, stopDemo, until } from './harness.mjs'

const DESKTOP = { width: 1440, height: 900 }
const ADMIN = ['admin', 'admin-demo']
const SESSION_MINUTES = 90
const RISKY = '大家晚上好，这款口红今天全网最低价！'

let server = null
let browser = null
let tmpRoot = ''

before(async () => {
  ;({ server, browser, tmpRoot } = await startDemo())
})

after(async () => {
  await stopDemo({ server, browser, tmpRoot })
  browser = null
  server = null
})

test('scripts: from a template, a compliance hit fixed in place, followed live', { timeout: 240_000 }, async () => {
  const errors = []
  const ctx = await newZhContext(browser, DESKTOP)
  const page = await ctx.newPage()
  page.on('pageerror', (e) => errors.push(e.message))
  await consoleSignIn(page, server.url, ...ADMIN)
  await byTestId(page, 'nav-sessions').waitFor()
  assert.equal((await byTestId(page, 'nav-script-templates').innerText()).trim(), '脚本模板', 'the templates are on the menu')

  const call = async (method, path, data) => {
    const res = await ctx.request.fetch(server.url + path, { method, data })
    const body = await res.text()
    assert.ok(res.status() < 300, `${method} ${path}: ${res.status()} ${body}`)
    return body ? JSON.parse(body) : null
  }

  // ---- a template that fits (the demo may ship some; this test does not depend on them) ----
  let template = (await call('GET', '/api/v1/script-templates')).items.find((x) => x.total_minutes <= SESSION_MINUTES && x.segments.length >= 2)
  if (!template) {
    const product = (await call('GET', '/api/v1/products?per_page=1')).items[0]
    template = await call('POST', '/api/v1/script-templates', {
      name: `e2e 脚本模板 ${Date.now().toString(36)}`,
      description: '开场、讲解、收尾',
      segments: [
        { kind: 'opening', title: '开场暖场', minutes: 5, people: ['主播'], text: '欢迎来到直播间' },
        { kind: 'product_intro', title: '主推款讲解', minutes: 20, people: ['主播', '助播'], products: product ? [product.id] : [], promotion: '前 100 名下单送小样' },
        { kind: 'closing', title: '收尾预告', minutes: 5, text: '下一场见' },
      ],
    })
  }

  // ---- a new scheduled session of 90 minutes ----
  const start = new Date(Date.now() + 86_400_000)
  start.setUTCSeconds(0, 0)
  const session = await call('POST', '/api/v1/sessions', {
    title: `脚本演练 ${Date.now().toString(36)}`,
    theme: 'custom',
    channel: 'own',
    host_id: null,
    scheduled_start: start.toISOString(),
    scheduled_end: new Date(start.getTime() + SESSION_MINUTES * 60_000).toISOString(),
    cover_url: null,
    target_gmv_fen: null,
    target_viewers: null,
    target_orders: null,
  })
  const scriptPath = `/api/v1/sessions/${session.id}/script`

  // ---- the session's page leads to its script ----
  await page.goto(`${server.url}/console/sessions/${session.id}`)
  await byTestId(page, 'open-script').click()
  await page.waitForURL(new RegExp(`/console/sessions/${session.id}/script$`))
  const editor = byTestId(page, 'script-page')
  await editor.waitFor()
  await page.locator('[data-testid="script-totals"][data-session="90"]').waitFor()

  // ---- from a template: saved as version 1 ----
  await byTestId(page, 'script-from-template').click()
  await page.locator(`[data-testid="script-template-option"][data-id="${template.id}"]`).click()
  const [applied] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `${scriptPath}/from-template`),
    byTestId(page, 'script-template-apply').click(),
  ])
  assert.equal(applied.status(), 200, `from template: ${await applied.text()}`)
  await page.locator('[data-testid="script-page"][data-version="1"]').waitFor()
  const segments = byTestId(page, 'script-segment')
  assert.equal(await segments.count(), template.segments.length, 'the template segments are in the editor')
  assert.equal(await field(page, 'script-seg-title').inputValue(), template.segments[0].title)
  await settle(page)

  // ---- words with a hit, saved: the hit is shown under the lines ----
  const first = segments.first()
  await first.locator('textarea[data-testid="script-seg-text"], [data-testid="script-seg-text"] textarea').fill(RISKY)
  await page.locator('[data-testid="script-page"][data-dirty="1"]').waitFor()
  const [saved] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === scriptPath),
    byTestId(page, 'script-save').click(),
  ])
  assert.equal(saved.status(), 200, `save: ${await saved.text()}`)
  const put = JSON.parse(saved.request().postData() || '{}')
  assert.equal(put.base_version, 1, 'the save names the version it started from')
  await page.locator('[data-testid="script-page"][data-version="2"]').waitFor()
  const hits = first.locator('[data-testid="script-hits"][data-field="text"]')
  await hits.waitFor()
  const zui = hits.locator('[data-testid="script-hit"][data-rule="absolute-zui"]')
  await zui.waitFor()
  assert.match(await zui.innerText(), /最低价/, 'the hit names the words')
  assert.match(await zui.innerText(), /广告法/, 'and the law')
  assert.ok((await hits.locator('[data-testid="script-hit-mark"]').count()) > 0, 'the words are marked in place')
  await settle(page)
  await first.scrollIntoViewIfNeeded()
  await shot(page, 'scripts-editor.png', { fullPage: false })

  // ---- apply the rewrite: the lines change and the re-check finds nothing ----
  await zui.locator('[data-testid="compliance-hit-apply"]').click()
  await until('the rewrite in the lines', 10_000, async () =>
    (await first.locator('[data-testid="script-seg-text"] textarea, textarea[data-testid="script-seg-text"]').inputValue()).includes('直播间专享价'),
  )
  await until('the re-check clears the hits', 10_000, async () => (await first.locator('[data-testid="script-hits"][data-field="text"]').count()) === 0)
  const [fixed] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === scriptPath),
    byTestId(page, 'script-save').click(),
  ])
  assert.equal(fixed.status(), 200, `save: ${await fixed.text()}`)
  await page.locator('[data-testid="script-page"][data-version="3"]').waitFor()
  assert.equal(await byTestId(page, 'script-hits').count(), 0, 'no hit after the save')
  const v3 = await call('GET', scriptPath)
  assert.equal(v3.version, 3)
  assert.equal(v3.findings.filter((f) => f.segment === 0 && f.field === 'text').length, 0, 'the server finds nothing either')
  assert.match(v3.segments[0].text, /直播间专享价/)

  // ---- someone else saves in between: the editor's save is refused and it reloads ----
  const theirs = v3.segments.map((s, i) => (i === 1 ? { ...s, minutes: s.minutes + 1 } : s))
  await call('PUT', scriptPath, { segments: theirs, base_version: 3, note: '助播调整时长' })
  await first.locator('[data-testid="script-seg-title"] input, input[data-testid="script-seg-title"]').fill('开场（改）')
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === scriptPath),
    byTestId(page, 'script-save').click(),
  ])
  assert.equal(refused.status(), 409, 'a save over a newer version is refused')
  await page.locator('.el-message-box').waitFor()
  await page.locator('.el-message-box .el-button--primary').click()
  await page.locator('[data-testid="script-page"][data-version="4"][data-dirty="0"]').waitFor()
  assert.equal(await field(page, 'script-seg-title').inputValue(), v3.segments[0].title, 'the reload shows their version')

  // ---- the versions: the latest two compared ----
  await byTestId(page, 'script-versions-open').click()
  await page.locator('[data-testid="script-version"][data-version="4"]').waitFor()
  assert.match(await page.locator('[data-testid="script-version"][data-version="4"]').innerText(), /助播调整时长/, 'the note is listed')
  await page.locator('[data-testid="script-diff-segment"][data-change="changed"]').waitFor()
  assert.equal(await page.locator('[data-testid="script-diff-segment"][data-change="changed"] [data-testid="script-diff-field"][data-field="minutes"]').count(), 1, 'the minutes changed')
  await page.keyboard.press('Escape')
  await settle(page)

  // ---- live: the room console follows the script ----
  await call('POST', `/api/v1/sessions/${session.id}/transition`, { to: 'live' })
  await page.goto(`${server.url}/console/sessions/${session.id}/room`)
  const panel = byTestId(page, 'live-script')
  await panel.waitFor()
  await page.locator('[data-testid="live-script"][data-state="ready"]').waitFor()
  const startBtn = byTestId(page, 'live-script-start')
  await until('the start button is usable', 15_000, async () => startBtn.isEnabled())
  await startBtn.click()
  await page.locator('[data-testid="live-script"][data-current="0"]').waitFor()
  assert.equal(await byTestId(page, 'live-script-current').getAttribute('data-title'), v3.segments[0].title, 'segment 1 is current')
  await until('the timer runs', 10_000, async () => Number(await byTestId(page, 'live-script-timer').getAttribute('data-elapsed')) >= 1)
  assert.equal(await byTestId(page, 'live-script-timer').getAttribute('data-over'), '0', 'not over its plan')
  assert.match(await byTestId(page, 'live-script-timer').innerText(), new RegExp(`/ ${String(v3.segments[0].minutes).padStart(2, '0')}:00`), 'against its plan')
  assert.match(await byTestId(page, 'live-script-next').innerText(), new RegExp(v3.segments[1].title), 'the next segment is named')
  await settle(page)
  await panel.scrollIntoViewIfNeeded()
  await shot(page, 'scripts-live.png', { fullPage: false })

  await byTestId(page, 'live-script-next-btn').click()
  await page.locator('[data-testid="live-script"][data-current="1"]').waitFor()
  assert.equal(await byTestId(page, 'live-script-current').getAttribute('data-title'), v3.segments[1].title, 'segment 2 is current')

  const running = await call('GET', scriptPath)
  assert.equal(running.current, 1)
  assert.equal(running.runs.length, 2, 'two runs')
  assert.deepEqual(running.runs.map((r) => r.position), [0, 1])
  assert.ok(running.runs[0].ended_at, 'the first run ended')
  assert.equal(running.runs[1].ended_at, null, 'the second runs on')

  assert.deepEqual(errors, [], 'no page errors')
  await ctx.close()
})
