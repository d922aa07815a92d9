// Browser test of 内容日历 (the content calendar) against the real sellstream server, in zh-CN.
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream node --test tests/e2e/calendar.test.mjs
//
// Starts the demo server, whose plans clash: 春季新品首发 · 轻运动穿搭 (own room) and 抖音同步 ·
// 春季新品 (douyin-official) an hour apart with the same host, and 300 + 200 pairs of sneakers planned
// against 410 in stock. The admin opens 内容日历 from the menu: the month shows the launch with a
// conflict mark and the live session's 双11; its drawer names the host clash and leads to the other
// session. In the week the Douyin session is dragged to a free day: the server has it there at the
// same time of day. Dragged onto the launch's hour it is refused (409) and the console asks whether
// to move anyway; cancelled, it stays. A channel filter leaves the Douyin session alone; the list has
// the rows; the calendar downloads as iCalendar (button and API). The drawer leads to the launch's
// content sheet (segments at their clock times, the unplanned minutes). The Douyin session's page
// plans 100 pairs instead of 200 (no more stock clash), and its form sets a format and a festival
// without losing its promotion policy. Screenshots: web/test-results/calendar-*.png.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { byTestId, consoleSignIn, field, newZhContext, settle, shot, startDemo, stopDemo, until } from './harness.mjs'

const DESKTOP = { width: 1440, height: 900 }
const ADMIN = ['admin', 'admin-demo']
const LAUNCH = '春季新品首发 · 轻运动穿搭'
const MIRROR = '抖音同步 · 春季新品'
const DAY = 86_400_000
const BEIJING = 8 * 3600_000

/** The day of an instant in Beijing, "YYYY-MM-DD". */
const beijingDay = (iso) => new Date(Date.parse(iso) + BEIJING).toISOString().slice(0, 10)
const addDays = (day, n) => new Date(Date.parse(day + 'T00:00:00Z') + n * DAY).toISOString().slice(0, 10)

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

test('calendar: conflicts, drag to reschedule, clash confirm, list, exports, content sheet, planned units', { timeout: 300_000 }, async () => {
  const errors = []
  const ctx = await newZhContext(browser, DESKTOP)
  const page = await ctx.newPage()
  page.on('pageerror', (e) => errors.push(e.message))

  const call = async (method, path, data) => {
    const res = await ctx.request.fetch(server.url + path, { method, data })
    const body = await res.text()
    assert.ok(res.status() < 300, `${method} ${path}: ${res.status()} ${body}`)
    return body ? JSON.parse(body) : null
  }

  try {
    await consoleSignIn(page, server.url, ...ADMIN)
    await byTestId(page, 'nav-calendar').waitFor()
    assert.equal((await byTestId(page, 'nav-calendar').innerText()).trim(), '内容日历', 'the calendar is on the menu')

    // ---- the demo's plans, as the API has them ----
    const from = new Date(Date.now() - 2 * DAY).toISOString()
    const to = new Date(Date.now() + 20 * DAY).toISOString()
    const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`
    const cal = await call('GET', `/api/v1/calendar?${range}`)
    const launch = cal.entries.find((e) => e.title === LAUNCH)
    const mirror = cal.entries.find((e) => e.title === MIRROR)
    const live = cal.entries.find((e) => e.state === 'live')
    assert.ok(launch && mirror && live, 'the demo has the launch, its Douyin mirror and a live session')
    assert.equal(live.festival, '双11')
    assert.ok(launch.conflicts.some((c) => c.kind === 'host' && c.session_id === mirror.id), 'the launch clashes with the mirror on its host')
    assert.ok(launch.conflicts.some((c) => c.kind === 'stock'), 'and on stock')
    const launchDay = beijingDay(launch.scheduled_start)
    const mirrorDay = beijingDay(mirror.scheduled_start)
    const today = beijingDay(new Date().toISOString())

    // ---- the month: the launch with its conflict mark, the live session's festival ----
    await byTestId(page, 'nav-calendar').click()
    await page.waitForURL(/\/console\/calendar/)
    const cal0 = page.locator('[data-testid="calendar-page"][data-view="month"][data-loading="0"]')
    await cal0.waitFor()
    const chip = page.locator(`[data-testid="cal-chip"][data-id="${launch.id}"]`)
    await chip.waitFor()
    assert.equal(await chip.getAttribute('data-day'), launchDay, 'on its day')
    assert.match(await chip.innerText(), /20:00/)
    await chip.locator('[data-testid="cal-conflict-mark"]').waitFor()
    assert.equal(await page.locator(`[data-testid="cal-chip"][data-id="${live.id}"] [data-testid="cal-festival"]`).innerText(), '双11')
    assert.ok(Number(await byTestId(page, 'cal-conflicted').getAttribute('data-n')) >= 2, 'the conflict count')
    assert.equal(await page.locator('[data-testid="cal-legend"] [data-channel="douyin-official"]').count(), 1, 'the legend names the Douyin account')

    // ---- the drawer: the host clash, leading to the other session ----
    await chip.click()
    const drawer = page.locator(`[data-testid="cal-drawer"][data-id="${launch.id}"]`)
    await drawer.waitFor()
    const hostClash = drawer.locator(`[data-testid="cal-drawer-conflict"][data-kind="host"][data-other="${mirror.id}"]`)
    await hostClash.waitFor()
    assert.match(await hostClash.innerText(), new RegExp(MIRROR), 'the clash names the other session')
    assert.equal(await drawer.locator('[data-testid="cal-drawer-conflict"][data-kind="stock"]').count(), 1, 'and the stock')
    await settle(page)
    await shot(page, 'calendar-month.png')
    await hostClash.locator('[data-testid="cal-conflict-other"]').click()
    await page.locator(`[data-testid="cal-drawer"][data-id="${mirror.id}"]`).waitFor()
    await page.keyboard.press('Escape')
    await page.locator('[data-testid="cal-drawer"]').waitFor({ state: 'hidden' })

    // ---- the week ----
    await byTestId(page, 'cal-view-week').click()
    await page.locator('[data-testid="calendar-page"][data-view="week"][data-loading="0"]').waitFor()
    const block = (id) => page.locator(`[data-testid="cal-block"][data-id="${id}"]`)
    if ((await block(mirror.id).count()) === 0) {
      // this week is not the launch's (it is tomorrow, and today is a Sunday)
      await byTestId(page, 'cal-next').click()
      await page.locator('[data-testid="calendar-page"][data-view="week"][data-loading="0"]').waitFor()
    }
    await block(mirror.id).waitFor()
    assert.equal(await block(mirror.id).getAttribute('data-day'), mirrorDay)
    await settle(page)
    await shot(page, 'calendar-week.png')

    // ---- drag the Douyin session to a free day of the week: same time of day ----
    const shown = await page.locator('[data-testid="cal-week-day"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-day')))
    const target = [3, 2, 4, 1, 5, 6, -1, -2, -3, -4, -5, -6].map((k) => addDays(mirrorDay, k)).find((d) => shown.includes(d) && d > today && d !== launchDay)
    let movedTo
    if (target) {
      const src = await block(mirror.id).boundingBox()
      const col = page.locator(`[data-testid="cal-week-day"][data-day="${target}"]`)
      const srcCol = await page.locator(`[data-testid="cal-week-day"][data-day="${mirrorDay}"]`).boundingBox()
      const colBox = await col.boundingBox()
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/sessions/${mirror.id}/reschedule`)),
        block(mirror.id).dragTo(col, {
          sourcePosition: { x: src.width / 2, y: 8 },
          targetPosition: { x: colBox.width / 2, y: src.y - srcCol.y + 8 },
        }),
      ])
      assert.equal(res.status(), 200, `reschedule: ${await res.text()}`)
      movedTo = target
    } else {
      // no free later day in this week: the month moves it instead
      await byTestId(page, 'cal-view-month').click()
      movedTo = addDays(mirrorDay, 3)
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/sessions/${mirror.id}/reschedule`)),
        page.locator(`[data-testid="cal-chip"][data-id="${mirror.id}"]`).dragTo(page.locator(`[data-testid="cal-day"][data-day="${movedTo}"]`)),
      ])
      assert.equal(res.status(), 200, `reschedule: ${await res.text()}`)
      await byTestId(page, 'cal-view-week').click()
    }
    const shift = Math.round((Date.parse(movedTo) - Date.parse(mirrorDay)) / DAY)
    const moved = await call('GET', `/api/v1/sessions/${mirror.id}`)
    assert.equal(Date.parse(moved.scheduled_start), Date.parse(mirror.scheduled_start) + shift * DAY, `moved ${shift} days, the time of day kept`)
    assert.equal(Date.parse(moved.scheduled_end) - Date.parse(moved.scheduled_start), Date.parse(mirror.scheduled_end) - Date.parse(mirror.scheduled_start), 'the length kept')
    await until('the calendar shows it moved', 10_000, async () => (await block(mirror.id).getAttribute('data-day').catch(() => null)) === movedTo || (await block(mirror.id).count()) === 0)
    const after = await call('GET', `/api/v1/calendar?${range}`)
    assert.ok(!after.entries.find((e) => e.id === launch.id).conflicts.some((c) => c.kind === 'host'), 'no host clash left on the launch')

    // ---- dragged onto the launch's hour: 409, asked, cancelled, it stays ----
    if ((await block(mirror.id).count()) === 1 && (await block(launch.id).count()) === 1) {
      const src = await block(mirror.id).boundingBox()
      const dst = await block(launch.id).boundingBox()
      const col = page.locator(`[data-testid="cal-week-day"][data-day="${launchDay}"]`)
      const colBox = await col.boundingBox()
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/sessions/${mirror.id}/reschedule`)),
        block(mirror.id).dragTo(col, { sourcePosition: { x: src.width / 2, y: 8 }, targetPosition: { x: colBox.width / 4, y: dst.y - colBox.y + 8 } }),
      ])
      assert.equal(res.status(), 409, 'the clash is refused first')
    } else {
      // the launch's week is not the one shown: the month takes the drag
      await byTestId(page, 'cal-view-month').click()
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/sessions/${mirror.id}/reschedule`)),
        page.locator(`[data-testid="cal-chip"][data-id="${mirror.id}"]`).dragTo(page.locator(`[data-testid="cal-day"][data-day="${launchDay}"]`)),
      ])
      assert.equal(res.status(), 409, 'the clash is refused first')
    }
    const confirm = page.locator('.el-message-box')
    await confirm.waitFor()
    await byTestId(page, 'cal-clash-confirm').waitFor()
    assert.match(await confirm.innerText(), new RegExp(LAUNCH), "the server's message names the launch")
    assert.match(await confirm.innerText(), /仍要改期/, 'and asks whether to move anyway')
    await confirm.locator('.el-message-box__btns .el-button:not(.el-button--primary)').click()
    await settle(page)
    const kept = await call('GET', `/api/v1/sessions/${mirror.id}`)
    assert.equal(kept.scheduled_start, moved.scheduled_start, 'cancelled: it stays')
    const mirrorNow = page.locator(`[data-testid="cal-block"][data-id="${mirror.id}"], [data-testid="cal-chip"][data-id="${mirror.id}"]`)
    await until('shown where it was', 10_000, async () => (await mirrorNow.first().getAttribute('data-day').catch(() => null)) === movedTo || (await mirrorNow.count()) === 0)

    // ---- a channel filter ----
    await page.goto(`${server.url}/console/calendar?view=month&date=${movedTo}&channel=douyin-official`)
    await page.locator('[data-testid="calendar-page"][data-loading="0"]').waitFor()
    await page.locator(`[data-testid="cal-chip"][data-id="${mirror.id}"]`).waitFor()
    assert.equal(await page.locator(`[data-testid="cal-chip"][data-id="${launch.id}"]`).count(), 0, 'the launch is on another channel')

    // ---- the list ----
    await page.goto(`${server.url}/console/calendar?view=month&date=${launchDay}`)
    await page.locator('[data-testid="calendar-page"][data-loading="0"]').waitFor()
    await byTestId(page, 'cal-view-list').click()
    await page.locator('[data-testid="calendar-page"][data-view="list"][data-loading="0"]').waitFor()
    await page.locator(`[data-testid="cal-row"][data-id="${launch.id}"]`).waitFor()
    assert.ok((await byTestId(page, 'cal-row').count()) >= 3, 'rows for the sessions of the month')
    assert.match(await byTestId(page, 'cal-list').innerText(), /双11/, 'with the festival')
    await settle(page)
    await shot(page, 'calendar-list.png', { fullPage: false })

    // ---- iCalendar: through the button, and through the API with the page's cookie ----
    const [dl] = await Promise.all([page.waitForEvent('download'), byTestId(page, 'cal-export-ics').click()])
    assert.equal(dl.suggestedFilename(), 'sellstream-calendar.ics')
    assert.match(fs.readFileSync(await dl.path(), 'utf8'), /BEGIN:VEVENT/)
    const ics = await page.evaluate(async (q) => {
      const r = await fetch('/api/v1/calendar.ics?' + q, { credentials: 'include' })
      return { status: r.status, type: r.headers.get('content-type'), body: await r.text() }
    }, range)
    assert.equal(ics.status, 200)
    assert.match(ics.type, /text\/calendar/)
    assert.match(ics.body, /BEGIN:VCALENDAR/)
    assert.ok((ics.body.match(/BEGIN:VEVENT/g) ?? []).length >= 3, 'one event per session')

    // ---- the content sheet, from the drawer ----
    await page.locator(`[data-testid="cal-row"][data-id="${launch.id}"]`).click()
    await page.locator(`[data-testid="cal-drawer"][data-id="${launch.id}"]`).waitFor()
    await byTestId(page, 'cal-open-sheet').click()
    await page.waitForURL(new RegExp(`/console/sessions/${launch.id}/content-sheet$`))
    await page.locator('[data-testid="content-sheet"][data-state="ready"]').waitFor()
    const sheet = await call('GET', `/api/v1/sessions/${launch.id}/content-sheet`)
    assert.equal(await byTestId(page, 'sheet-segment').count(), sheet.segments.length, 'every segment')
    assert.ok(sheet.segments.length > 0)
    assert.match(await byTestId(page, 'sheet-segment').first().innerText(), /20:00–/, 'at its clock time (Beijing)')
    assert.equal(Number(await byTestId(page, 'sheet-unplanned').getAttribute('data-minutes')), sheet.unplanned_minutes)
    assert.equal(await page.locator('[data-testid="sheet-product"][data-planned="300"]').count(), 1, 'the sneakers with 300 planned')
    await settle(page)
    await shot(page, 'calendar-content-sheet.png')
    // printed: the sheet without the console around it
    await page.emulateMedia({ media: 'print' })
    assert.equal(await page.locator('.el-aside').isVisible(), false, 'no menu on paper')
    assert.equal(await byTestId(page, 'sheet-print').isVisible(), false, 'no buttons on paper')
    await shot(page, 'calendar-content-sheet-print.png')
    await page.emulateMedia({ media: 'screen' })

    // ---- planned units on the Douyin session's page: 100 instead of 200, no stock clash left ----
    const sneakers = launch.products.find((p) => p.planned_units === 300)
    await page.goto(`${server.url}/console/sessions/${mirror.id}`)
    const plan = page.locator(`[data-testid="bag-item"][data-product-id="${sneakers.id}"] [data-testid="bag-item-plan"]`)
    await page.locator(`[data-testid="bag-item"][data-product-id="${sneakers.id}"] [data-testid="bag-item-plan"][data-planned="200"]`).waitFor()
    await plan.locator('[data-testid="bag-item-stock-clash"]').waitFor()
    const input = plan.locator('[data-testid="bag-item-planned"] input, input[data-testid="bag-item-planned"]').first()
    await input.fill('100')
    const [put] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/sessions/${mirror.id}/bag/${sneakers.id}/units`)),
      input.press('Enter'),
    ])
    assert.equal(put.status(), 200, `units: ${await put.text()}`)
    assert.deepEqual(JSON.parse(put.request().postData() || '{}'), { planned_units: 100 })
    await page.locator(`[data-testid="bag-item"][data-product-id="${sneakers.id}"] [data-testid="bag-item-plan"][data-planned="100"]`).waitFor()
    await plan.locator('[data-testid="bag-item-stock-clash"]').waitFor({ state: 'detached', timeout: 5000 }) // 300 + 100 fit in 410

    // ---- the form: format and festival, the policy kept ----
    await page.goto(`${server.url}/console/sessions/${mirror.id}/edit`)
    await byTestId(page, 'session-format').waitFor()
    await until('the form is filled', 10_000, async () => (await field(page, 'session-policy').inputValue()) === mirror.promotion_policy)
    await byTestId(page, 'session-format').click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: '互动' }).click()
    await field(page, 'session-festival').click()
    await page.locator('.el-autocomplete-suggestion li:visible', { hasText: '618' }).click()
    const [saved] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/api/v1/sessions/${mirror.id}`)),
      byTestId(page, 'session-save').click(),
    ])
    assert.equal(saved.status(), 200, `save: ${await saved.text()}`)
    await page.waitForURL(new RegExp(`/console/sessions/${mirror.id}$`))
    await byTestId(page, 'session-festival').waitFor()
    assert.equal((await byTestId(page, 'session-festival').innerText()).trim(), '618')
    assert.equal((await byTestId(page, 'session-format').innerText()).trim(), '互动')
    const edited = await call('GET', `/api/v1/sessions/${mirror.id}`)
    assert.equal(edited.format, 'interactive')
    assert.equal(edited.festival, '618')
    assert.equal(edited.promotion_policy, mirror.promotion_policy, 'the policy kept')
    assert.equal(edited.scheduled_start, moved.scheduled_start, 'and the time')

    assert.deepEqual(errors, [], 'no uncaught errors in the page')
  } catch (e) {
    await shot(page, 'calendar-failure.png').catch(() => undefined)
    if (server) e.message += `\n--- server output (tail) ---\n${server.log().slice(-4000)}`
    throw e
  } finally {
    await ctx.close()
  }
})
