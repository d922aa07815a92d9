// Browser test of 带播练习 (live practice, docs/hosts.md "Live practice") against the real sellstream
// server, in zh-CN with English screenshots.
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream node --test tests/e2e/practice.test.mjs
//
// The talent manager (talent / talent-demo) opens the demo's live-practice course 带播实操: its
// practice card lists the demo's show for tomorrow. She sets up another for 主播阿杰 (the only
// enrolled host, picked already) with a product from the catalogue: a start years ahead is refused
// with the server's words in the dialog; starting now, it is created and her practice page says
// scoring waits for the show (and offers her no go-live button: hosts, operators and controllers
// start shows). 主播阿杰 (host2) finds it on his own host page, goes live from the practice page and
// runs the room console: he pins the product and opens a poll. The operator plays a viewer in the
// viewer room (/live/{id}, staff only) and chats; the trainee sees it. On the talent manager's
// page the room's evidence arrives by itself (chat ≥ 1, pins 1, polls 1); she fills her scorecard
// (the mean shown before she submits) and sees the overall. 主播阿杰 sees her card read-only and no
// form, the overall on his host page, and ends the show. The sessions list, the session's page and
// the calendar mark the session 练习. Screenshots: web/test-results/practice-*.png.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { byTestId, consoleSignIn, field, newZhContext, settle, shot, sleep, startDemo, stopDemo, until } from './harness.mjs'

const VIEW = { width: 1280, height: 900 }
const TALENT = ['talent', 'talent-demo']
const HOST2 = ['host2', 'host2-demo']
const OPERATOR = ['operator', 'operator-demo']
const COURSE = '带播实操'
const DEMO_SHOW = '带播实操：口红试色'
const TITLE = '口红试色 · 第二场练习'
const SCORES = { opening: 8, product_pitch: 6, interaction: 7, pacing: 7, emergency: 5 } // mean 6.6

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

/** Sets an el-input-number behind a data-testid. */
async function setNumber(page, id, value) {
  const input = field(page, id)
  await input.fill(String(value))
  await input.press('Tab')
}

/** Confirms an Element Plus message box. */
async function confirmBox(page) {
  await page.locator('.el-message-box .el-button--primary').click()
  await page.locator('.el-message-box').waitFor({ state: 'hidden' })
}

test('live practice: set up, go live, run the room, play a viewer, score; the trainee reads', { timeout: 300_000 }, async () => {
  const errors = []
  const ctx = await newZhContext(browser, VIEW)
  const page = await ctx.newPage()
  page.on('pageerror', (e) => errors.push(e.message))
  const call = async (c, method, path, data) => {
    const res = await c.request.fetch(server.url + path, { method, data })
    const body = await res.text()
    assert.ok(res.status() < 300, `${method} ${path}: ${res.status()} ${body}`)
    return body ? JSON.parse(body) : null
  }
  const contexts = []
  let hp = null
  const context = async () => {
    const c = await newZhContext(browser, VIEW)
    contexts.push(c)
    return c
  }

  try {
    await consoleSignIn(page, server.url, ...TALENT)
    await byTestId(page, 'nav-training').waitFor()
    const me = await call(ctx, 'GET', '/api/v1/auth/me')
    const jie = (await call(ctx, 'GET', '/api/v1/hosts')).items.find((h) => h.username === 'host2')
    assert.ok(jie, 'the demo has 主播阿杰')

    // ---- the course: its practice card lists the demo's show ----
    await byTestId(page, 'nav-training').click()
    await page.locator('[data-testid="training-page"][data-loading="0"]').waitFor()
    await page.locator('[data-testid="course-link"]', { hasText: COURSE }).click()
    await page.locator('[data-testid="course-page"][data-loading="0"]').waitFor()
    const card = byTestId(page, 'course-practice')
    await card.waitFor()
    await card.locator('[data-testid="practice-row"][data-state="scheduled"]', { hasText: DEMO_SHOW }).waitFor()
    assert.match(await card.innerText(), /主播阿杰/)
    assert.match(await card.innerText(), /未评分/)

    // ---- set up a practice: the server's refusal shown, then now ----
    await byTestId(page, 'practice-open').click()
    const dialog = byTestId(page, 'practice-dialog')
    await dialog.waitFor()
    assert.match(await dialog.locator('[data-testid="practice-trainee"]').innerText(), /主播阿杰/, 'the only enrolled host is picked')
    await field(page, 'practice-title').fill(TITLE)
    await byTestId(page, 'practice-products').locator('.el-select__wrapper').click()
    await page.locator('[data-testid="practice-product-2"]:visible').click()
    await dialog.locator('.el-dialog__title').click() // close the dropdown
    await dialog.locator('[data-testid="practice-products"]', { hasText: /玻尿酸保湿精华/ }).waitFor()
    const start = field(page, 'practice-start')
    await start.click()
    await start.fill('2031-06-01 10:00')
    await start.press('Enter')
    await dialog.locator('.el-dialog__title').click()
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/practice')),
      byTestId(page, 'practice-save').click(),
    ])
    assert.equal(refused.status(), 422)
    const error = byTestId(page, 'practice-error')
    await error.waitFor()
    assert.match(await error.innerText(), /two years ahead/, `the server's own words: ${await error.innerText()}`)
    await shot(page, 'practice-dialog-zh.png', { fullPage: false })
    await byTestId(page, 'practice-start-now').click()
    const [created] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/practice')),
      byTestId(page, 'practice-save').click(),
    ])
    assert.equal(created.status(), 201, await created.text())
    const sid = (await created.json()).session_id
    await page.waitForURL(new RegExp(`/console/training/practice/${sid}$`))
    await page.locator('[data-testid="practice-page"][data-loading="0"][data-state="scheduled"]').waitFor()
    assert.equal((await byTestId(page, 'page-title').innerText()).includes(TITLE), true)
    await byTestId(page, 'scorecard-waits').waitFor()
    assert.equal(await byTestId(page, 'scorecard-save').isDisabled(), true, 'scoring waits for the show')
    assert.equal(await byTestId(page, 'practice-go-live').count(), 0, 'a talent manager does not start shows')
    assert.equal(await byTestId(page, 'practice-room-link').count(), 0, 'nor runs the room')
    assert.equal(await byTestId(page, 'practice-viewer-link').getAttribute('href'), `/live/${sid}`)
    assert.equal(await byTestId(page, 'practice-viewer-link').getAttribute('target'), '_blank')
    const session = await call(ctx, 'GET', `/api/v1/sessions/${sid}`)
    assert.equal(session.practice_course_id, (await call(ctx, 'GET', `/api/v1/practice/${sid}`)).course_id)
    assert.equal(session.bag_count, 1, 'the picked product is in the practice bag')

    // ---- 主播阿杰: his host page lists it; he goes live and runs the room ----
    const hostCtx = await context()
    hp = await hostCtx.newPage()
    hp.on('pageerror', (e) => errors.push('host: ' + e.message))
    await consoleSignIn(hp, server.url, ...HOST2)
    await byTestId(hp, 'nav-my-host').click()
    await hp.locator('[data-testid="host-page"][data-loading="0"]').waitFor()
    const mine = hp.locator(`[data-testid="host-practice"] [data-testid="practice-row"][data-id="${sid}"]`)
    await mine.waitFor()
    await mine.locator('[data-testid="practice-link"]').click()
    await hp.waitForURL(new RegExp(`/console/training/practice/${sid}$`))
    await hp.locator('[data-testid="practice-page"][data-loading="0"]').waitFor()
    await byTestId(hp, 'practice-trainee-note').waitFor()
    assert.equal(await byTestId(hp, 'scorecard-form').count(), 0, 'the trainee has no scorecard form')
    await byTestId(hp, 'practice-go-live').click()
    await confirmBox(hp)
    await hp.locator('[data-testid="practice-page"][data-state="live"]').waitFor()
    await byTestId(hp, 'practice-end').waitFor()
    await byTestId(hp, 'practice-room-link').click()
    await hp.waitForURL(new RegExp(`/console/sessions/${sid}/room$`))
    await hp.locator('[data-testid="room-console"][data-status="live"]').waitFor()
    await byTestId(hp, 'practice-tag').first().waitFor()
    const row = hp.locator('[data-testid="room-bag-row"][data-product="2"]')
    await row.locator('[data-testid="room-pin"]').click()
    await row.locator('[data-testid="room-pinned-flag"]').waitFor()
    await byTestId(hp, 'room-tab-poll').click()
    await field(hp, 'room-poll-question').fill('先试哪个色号？')
    await field(hp, 'room-poll-option-0').fill('01 正红')
    await field(hp, 'room-poll-option-1').fill('02 豆沙')
    await byTestId(hp, 'room-poll-open').click()
    await hp.locator('[data-testid="room-poll-card"][data-open="true"]').waitFor()

    // ---- the operator plays a viewer in the viewer room ----
    const opCtx = await context()
    const op = await opCtx.newPage()
    op.on('pageerror', (e) => errors.push('viewer: ' + e.message))
    await consoleSignIn(op, server.url, ...OPERATOR)
    await byTestId(op, 'nav-sessions').waitFor()
    await op.goto(`${server.url}/live/${sid}`)
    await op.locator('[data-testid="live-room"][data-status="live"]').waitFor()
    await op.locator('[data-testid="room-pinned"][data-product="2"]').waitFor()
    await op.locator('[data-testid="room-poll"][data-open="true"]').waitFor()
    const said = '主播好，这个色号适合黄皮吗'
    await field(op, 'room-chat-input').fill(said)
    await field(op, 'room-chat-input').press('Enter')
    await byTestId(op, 'chat-message').filter({ hasText: said }).waitFor()
    await byTestId(hp, 'room-comment').filter({ hasText: said }).waitFor()

    // ---- the talent manager: the evidence arrives by itself; she scores ----
    await page.locator('[data-testid="ev-pins"][data-value="1"]').waitFor({ timeout: 30_000 })
    await page.locator('[data-testid="ev-polls"][data-value="1"]').waitFor({ timeout: 30_000 })
    await until('the chat in the evidence', 30_000, async () => Number(await byTestId(page, 'ev-chat').getAttribute('data-value')) >= 1)
    assert.ok(Number(await byTestId(page, 'ev-participants').getAttribute('data-value')) >= 2, 'the trainee and the viewer entered')
    await page.locator('[data-testid="practice-page"][data-state="live"]').waitFor()
    await page.locator('[data-testid="scorecard-save"]:not(.is-disabled)').waitFor()
    for (const [k, v] of Object.entries(SCORES)) await setNumber(page, `score-${k}`, v)
    await field(page, 'scorecard-notes-input').fill('开场有感染力；讲品节奏偏快，突发应对需要练')
    await page.locator('[data-testid="score-mean"][data-value="6.6"]').waitFor()
    const [scored] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/practice/${sid}/scorecard`)),
      byTestId(page, 'scorecard-save').click(),
    ])
    assert.equal(scored.status(), 200, await scored.text())
    await page.locator(`[data-testid="scorecard"][data-trainer="${me.id}"][data-overall="6.6"]`).waitFor()
    const total = byTestId(page, 'practice-overall-total')
    await total.waitFor()
    assert.equal(await total.getAttribute('data-value'), '6.6')
    assert.match(await total.innerText(), /6\.60/)
    assert.match(await byTestId(page, 'scorecard-save').innerText(), /更新评分/, 'scoring again replaces her card')
    await sleep(600)
    await settle(page)
    await shot(page, 'practice-page-zh.png')

    // ---- 主播阿杰 reads the card, no form; the overall on his host page; he ends the show ----
    await hp.goto(`${server.url}/console/training/practice/${sid}`)
    await hp.locator('[data-testid="practice-page"][data-loading="0"][data-overall="6.6"]').waitFor()
    const his = hp.locator(`[data-testid="scorecard"][data-trainer="${me.id}"]`)
    await his.waitFor()
    assert.match(await his.innerText(), /突发应对/)
    assert.match(await his.locator('[data-testid="scorecard-notes"]').innerText(), /突发应对需要练/)
    assert.equal(await byTestId(hp, 'scorecard-form').count(), 0, 'still no form for the trainee')
    assert.equal(await hp.locator('[data-testid="practice-scores"]').count(), 0)
    await sleep(400)
    await settle(hp)
    await shot(hp, 'practice-trainee-zh.png')
    await byTestId(hp, 'practice-end').click()
    await confirmBox(hp)
    await hp.locator('[data-testid="practice-page"][data-state="ended"]').waitFor()
    await byTestId(hp, 'nav-my-host').click()
    await hp.locator(`[data-testid="host-practice"] [data-testid="practice-row"][data-id="${sid}"][data-overall="6.6"][data-state="ended"]`).waitFor()
    assert.match(await hp.locator(`[data-testid="practice-row"][data-id="${sid}"]`).locator('xpath=ancestor::tr').innerText(), /6\.60/)
    await sleep(500)
    await settle(hp)
    await shot(hp, 'practice-host-zh.png')

    // ---- where sessions are listed, it is marked 练习 ----
    await page.goto(`${server.url}/console/sessions?state=all`)
    const listed = page.locator(`[data-testid="session-row"][data-session-id="${sid}"]`)
    await listed.waitFor()
    assert.equal((await listed.locator('[data-testid="practice-tag"]').innerText()).trim(), '练习')
    assert.equal(await page.locator('[data-testid="session-row"][data-session-id="1"] [data-testid="practice-tag"]').count(), 0, 'a real show is not marked')
    await settle(page)
    await shot(page, 'practice-sessions-zh.png', { fullPage: false })
    await page.goto(`${server.url}/console/sessions/${sid}`)
    await byTestId(page, 'session-practice').waitFor()
    await byTestId(page, 'practice-tag').first().waitFor()
    await byTestId(page, 'open-practice').waitFor()
    // the calendar (a talent manager's holds only her own sessions, so the trainee's and an operator's)
    await hp.goto(`${server.url}/console/calendar?view=week`)
    await hp.locator(`[data-testid="cal-block"][data-id="${sid}"][data-practice="1"] [data-testid="cal-practice"]`).waitFor()

    // ---- the course's card: the show scored; screenshot ----
    await page.goto(`${server.url}/console/training/${session.practice_course_id}`)
    await page.locator('[data-testid="course-page"][data-loading="0"]').waitFor()
    await page.locator(`[data-testid="course-practice"][data-loading="0"] [data-testid="practice-row"][data-id="${sid}"][data-overall="6.6"]`).waitFor()
    await sleep(500)
    await settle(page)
    await shot(page, 'practice-course-zh.png')

    // ---- in English ----
    const enCtx = await browser.newContext({ viewport: VIEW, timezoneId: 'Asia/Shanghai', locale: 'en-US' })
    contexts.push(enCtx)
    enCtx.setDefaultTimeout(20_000)
    await enCtx.addInitScript(() => localStorage.setItem('sellstream.lang', 'en'))
    const en = await enCtx.newPage()
    en.on('pageerror', (e) => errors.push('en: ' + e.message))
    await consoleSignIn(en, server.url, ...OPERATOR)
    await byTestId(en, 'nav-sessions').waitFor()
    await en.goto(`${server.url}/console/calendar?view=month`)
    await en.locator(`[data-testid="cal-chip"][data-id="${sid}"][data-practice="1"] [data-testid="cal-practice"]`).waitFor()
    assert.equal((await en.locator(`[data-testid="cal-chip"][data-id="${sid}"] [data-testid="cal-practice"]`).innerText()).trim(), 'Practice')
    assert.equal(await en.locator('[data-testid="cal-chip"][data-id="1"][data-practice="0"]').count(), 1, 'a real show is not marked')
    await en.goto(`${server.url}/console/training/practice/${sid}`)
    await en.locator('[data-testid="practice-page"][data-loading="0"]').waitFor()
    assert.match(await byTestId(en, 'practice-scorecards').innerText(), /Incidents/)
    assert.match(await byTestId(en, 'practice-scorecards').innerText(), /mean of 1 trainer\b/)
    assert.equal(await byTestId(en, 'scorecard-form').count(), 1, 'an operator scores too')
    assert.match(await byTestId(en, 'scorecard-form').innerText(), /Opening[\s\S]*Product pitch[\s\S]*Interaction[\s\S]*Pacing & control[\s\S]*Handling incidents/)
    await sleep(600)
    await settle(en)
    await shot(en, 'practice-page-en.png')
    await en.goto(`${server.url}/console/training/${session.practice_course_id}`)
    await en.locator('[data-testid="course-page"][data-loading="0"]').waitFor()
    await en.locator('[data-testid="course-practice"][data-loading="0"] [data-testid="practice-row"]').first().waitFor()
    await sleep(500)
    await settle(en)
    await shot(en, 'practice-course-en.png')

    assert.deepEqual(errors, [], 'no uncaught errors in the pages')
  } catch (e) {
    await shot(page, 'practice-failure.png').catch(() => undefined)
    if (hp) await shot(hp, 'practice-failure-host.png').catch(() => undefined)
    if (server) e.message += `\n--- server output (tail) ---\n${server.log().slice(-4000)}`
    throw e
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined)
    await ctx.close()
  }
})
