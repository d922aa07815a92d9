// Browser test of 复盘笔记 (review notes and their action items) against the real sellstream
// server, in zh-CN.
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream node --test tests/e2e/review.test.mjs
//
// Starts the demo server. The operator signs in and opens the review of the demo's ended session
// (周末限时秒杀): its notes (耳机秒杀…) and two action items, one open and one done, are shown.
// The operator adds an item (an owner, due tomorrow) and ticks the open demo item done. Planning a
// scheduled session (its edit page) then lists the new item under 上场复盘待办, and not the one
// ticked done. Screenshots: web/test-results/review-*.png.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { byTestId, consoleSignIn, field, newZhContext, settle, shot, startDemo, stopDemo } from './harness.mjs'

const DESKTOP = { width: 1440, height: 900 }
const OPERATOR = ['operator', 'operator-demo']
const ENDED_TITLE = '周末限时秒杀'
const OPEN_ITEM = '准备尺码表贴片'

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

/** Tomorrow in Asia/Shanghai, YYYY-MM-DD. */
function tomorrow() {
  return new Date(Date.now() + 8 * 3600_000 + 86_400_000).toISOString().slice(0, 10)
}

test('review: notes, add an action item, tick one done, the plan lists the open ones', { timeout: 180_000 }, async () => {
  const errors = []
  const ctx = await newZhContext(browser, DESKTOP)
  const page = await ctx.newPage()
  page.on('pageerror', (e) => errors.push(e.message))
  await consoleSignIn(page, server.url, ...OPERATOR)
  await byTestId(page, 'nav-sessions').waitFor()

  const api = async (path) => {
    const res = await ctx.request.get(server.url + path)
    assert.equal(res.status(), 200, `${path}: ${res.status()}`)
    return res.json()
  }
  const ended = (await api('/api/v1/sessions?state=ended&per_page=100')).items.find((s) => s.title === ENDED_TITLE)
  assert.ok(ended, `the demo's ended session ${ENDED_TITLE}`)
  const scheduled = (await api('/api/v1/sessions?state=scheduled&per_page=100')).items[0]
  assert.ok(scheduled, 'a scheduled session')

  // ---- the review page shows the notes and the demo's two items ----
  await page.goto(`${server.url}/console/sessions/${ended.id}/report`)
  await byTestId(page, 'review-notes').waitFor()
  await field(page, 'review-went-well').waitFor()
  assert.match(await field(page, 'review-went-well').inputValue(), /耳机秒杀/, 'what went well, as the demo wrote it')
  assert.match(await field(page, 'review-to-improve').inputValue(), /尺码/, 'what to improve')
  const items = byTestId(page, 'review-action')
  assert.equal(await items.count(), 2, 'the demo has two action items')
  const openItem = page.locator('[data-testid="review-action"][data-done="false"]', { hasText: OPEN_ITEM })
  assert.equal(await openItem.count(), 1, 'the open demo item')
  assert.equal(await page.locator('[data-testid="review-action"][data-done="true"]').count(), 1, 'the done demo item')
  const openId = await openItem.getAttribute('data-id')

  // ---- add an item: an owner, due tomorrow ----
  const text = `复盘待办 e2e ${Date.now().toString(36)}`
  await field(page, 'review-action-add-text').fill(text)
  await byTestId(page, 'review-action-add-owner').click()
  await page.locator('.review-owner-popper .el-select-dropdown__item').first().click()
  const due = field(page, 'review-action-add-due')
  await due.fill(tomorrow())
  await due.press('Enter')
  const [added] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/v1/sessions/${ended.id}/actions`),
    byTestId(page, 'review-action-add').click(),
  ])
  assert.equal(added.status(), 201, `add: ${await added.text()}`)
  const created = await added.json()
  assert.equal(created.due_on, tomorrow(), 'due tomorrow')
  const newItem = page.locator(`[data-testid="review-action"][data-id="${created.id}"]`)
  await newItem.waitFor()
  assert.match(await newItem.innerText(), new RegExp(text))
  assert.equal(await newItem.getAttribute('data-done'), 'false')
  assert.equal(await newItem.getAttribute('data-overdue'), 'false')

  // ---- tick the open demo item done ----
  const [ticked] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === `/api/v1/actions/${openId}`),
    openItem.locator('[data-testid="review-action-done"]').click(),
  ])
  assert.equal(ticked.status(), 200, `tick: ${await ticked.text()}`)
  assert.equal(JSON.parse(ticked.request().postData() || '{}').done, true, 'the PUT closes the item')
  await page.locator(`[data-testid="review-action"][data-id="${openId}"][data-done="true"]`).waitFor()
  await settle(page)
  await byTestId(page, 'review-notes').scrollIntoViewIfNeeded()
  await shot(page, 'review-notes.png', { fullPage: false })

  // ---- planning a scheduled session: the open items of earlier reviews ----
  await page.goto(`${server.url}/console/sessions/${scheduled.id}/edit`)
  await byTestId(page, 'open-actions').waitFor()
  await page.locator(`[data-testid="open-action"][data-id="${created.id}"]`).waitFor()
  assert.match(await page.locator(`[data-testid="open-action"][data-id="${created.id}"]`).innerText(), new RegExp(text), 'the new item is on the plan')
  assert.equal(await page.locator(`[data-testid="open-action"][data-id="${openId}"]`).count(), 0, 'the item ticked done is not')
  assert.match(await byTestId(page, 'open-actions').innerText(), new RegExp(ENDED_TITLE), 'each item names its review')
  await settle(page)
  await shot(page, 'review-open-actions.png')

  assert.deepEqual(errors, [], 'no page errors')
  await ctx.close()
})
