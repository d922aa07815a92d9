// Browser test of analytics (数据分析) against the real sellstream server, in zh-CN (the review
// also in English).
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream node --test tests/e2e/analytics.test.mjs
//
// Starts the demo server. A viewer on a phone-sized page opens the live room and the bag: the page
// sends its viewing events in a batch to POST /api/v1/events (with `exposure` events) and gets 200.
// The analyst signs in to the console: an ended session's review (复盘) shows every metric card
// and its charts (canvases), its CSV downloads; the live session's dashboard updates by itself
// (a second viewer entering moves the figures), the big screen (大屏) opens and closes; the
// analytics list sorts by GMV on the server. Screenshots: web/test-results/analytics-*.png.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { byTestId, consoleSignIn, newZhContext, settle, shot, sleep, startDemo, stopDemo, until } from './harness.mjs'

const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1440, height: 900 }
const BIG = { width: 1920, height: 1080 }
const ANALYST = ['analyst', 'analyst-demo']

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

/** The events batches a page sends, with the server's answers. */
function watchBatches(page) {
  const batches = []
  page.on('response', async (res) => {
    const req = res.request()
    if (req.method() !== 'POST' || !new URL(req.url()).pathname.endsWith('/api/v1/events')) return
    let body = null
    try {
      body = JSON.parse(req.postData() || 'null')
    } catch {
      /* not JSON: the assertion below says so */
    }
    let answer = null
    try {
      answer = await res.json()
    } catch {
      /* a keepalive request's body may be gone */
    }
    batches.push({ status: res.status(), body, answer })
  })
  return batches
}

/** A viewer in the live room (a phone-sized page, not signed in), with its event batches. */
async function openRoom(sessionId, errors) {
  const ctx = await newZhContext(browser, PHONE)
  const page = await ctx.newPage()
  page.on('pageerror', (e) => errors.push(`viewer: ${e.message}`))
  const batches = watchBatches(page)
  await page.goto(`${server.url}/live/${sessionId}?from=e2e`)
  await page.locator('[data-testid="live-room"][data-status="live"]').waitFor()
  return { ctx, page, batches }
}

/** Figures on the dashboard, from the cards' data-value. */
async function dashFigures(page) {
  return page.evaluate(() => {
    const v = (id) => document.querySelector(`[data-testid="dash-${id}"]`)?.getAttribute('data-value') ?? null
    return { online: v('online'), uv: v('uv'), entries: v('entries'), pv: v('pv'), gmv: v('gmv'), updated: document.querySelector('[data-testid="dash-page"]')?.getAttribute('data-updated') }
  })
}

test('analytics: viewer events, review, live dashboard, big screen, list', { timeout: 300_000 }, async () => {
  const errors = []
  const api = (path) => fetch(server.url + path)

  // the demo's live session and an ended one
  const live = (await (await api('/api/v1/public/sessions?state=live&per_page=10')).json()).items[0]
  assert.ok(live, 'the demo has a live session')

  // ---- the viewer: the room sends exposures when product cards show ----
  const viewer = await openRoom(live.id, errors)
  await shot(viewer.page, 'analytics-viewer-room.png', { fullPage: false })
  await byTestId(viewer.page, 'room-bag-button').click()
  await byTestId(viewer.page, 'room-bag-item').first().waitFor()
  const sent = await until('a batch of events with exposures answered 200', 20_000, () =>
    viewer.batches.find((b) => b.status === 200 && b.body?.events?.some((e) => e.kind === 'exposure')),
  )
  const batch = sent.body
  assert.match(batch.source, /^[A-Za-z0-9_-]{8,64}$/, 'the batch names its page load')
  assert.match(batch.device, /^[A-Za-z0-9_-]{8,64}$/, 'the batch names the device')
  const exposure = batch.events.find((e) => e.kind === 'exposure')
  assert.equal(exposure.session, live.id)
  assert.equal(exposure.replay, false)
  assert.ok(exposure.product > 0, 'an exposure names its product')
  assert.equal(exposure.channel, 'e2e', 'the ?from= of the page is the channel')
  assert.ok(batch.events.some((e) => e.kind === 'bag_open'), 'opening the bag is an event too')
  assert.ok(!batch.events.some((e) => ['enter', 'leave', 'chat', 'like', 'follow'].includes(e.kind)), 'the live room leaves enter/leave/chat/like/follow to the socket')
  const seqs = batch.events.map((e) => e.seq)
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'seqs go up')
  assert.equal(new Set(seqs).size, seqs.length, 'seqs do not repeat')
  assert.equal(sent.answer?.rejected?.length ?? 0, 0, `no event refused: ${JSON.stringify(sent.answer?.rejected)}`)
  await shot(viewer.page, 'analytics-viewer-bag.png', { fullPage: false })

  // share: the room's link (marked ?from=share) is copied, and a `share` event follows
  await viewer.page.locator('.sheet-popup .van-popup__close-icon').first().click()
  await byTestId(viewer.page, 'room-bag').waitFor({ state: 'hidden' })
  await byTestId(viewer.page, 'room-share').click()
  await viewer.page.locator('.van-toast', { hasText: '链接' }).first().waitFor()
  await until('a share event sent', 15_000, () => viewer.batches.find((b) => b.status === 200 && b.body?.events?.some((e) => e.kind === 'share' && e.session === live.id)))
  const allSeqs = viewer.batches.filter((b) => b.status === 200).flatMap((b) => b.body.events.map((e) => e.seq))
  assert.equal(new Set(allSeqs).size, allSeqs.length, `no seq sent twice in accepted batches: ${allSeqs}`)

  // ---- the console, as the analyst ----
  const ctx = await newZhContext(browser, DESKTOP)
  const page = await ctx.newPage()
  page.on('pageerror', (e) => errors.push(`console: ${e.message}`))
  await consoleSignIn(page, server.url, ...ANALYST)
  await byTestId(page, 'nav-analytics').waitFor()
  assert.equal((await byTestId(page, 'nav-analytics').innerText()).trim(), '数据分析')

  // an ended session with figures (the most GMV first), else the demo's ended one
  const list = await (await ctx.request.get(server.url + '/api/v1/analytics/sessions?sort=gmv_fen&order=desc&per_page=50')).json()
  assert.ok(Array.isArray(list.items), `GET /analytics/sessions answers items: ${JSON.stringify(list).slice(0, 300)}`)
  const endedRow = list.items.find((r) => r.session.state === 'ended' && (r.metrics.uv_all ?? 0) > 0)
  const endedSessions = (await (await ctx.request.get(server.url + '/api/v1/sessions?state=ended&per_page=50')).json()).items
  const endedId = endedRow?.session.id ?? endedSessions[0]?.id
  assert.ok(endedId, 'the demo has an ended session')

  // ---- the review (复盘) ----
  await page.goto(`${server.url}/console/sessions/${endedId}/report`)
  await byTestId(page, 'report-summary').waitFor()
  const cards = byTestId(page, 'report-metric')
  assert.equal(await cards.count(), 31, 'a card per metric (the 28 of the review, paid, product views and clicks)')
  const uvCard = page.locator('[data-testid="report-metric"][data-metric="uv"]')
  const report = await (await ctx.request.get(`${server.url}/api/v1/analytics/sessions/${endedId}/report`)).json()
  assert.equal(await uvCard.getAttribute('data-value'), String(report.metrics.uv ?? 0), 'the UV card shows the server figure')
  assert.match(await page.locator('[data-testid="report-metric"][data-metric="gmv_fen"] .metric-value').innerText(), /^¥[\d,]+\.\d\d$/, 'GMV in yuan')
  // a formula in the tooltip
  await byTestId(page, 'formula-uv_value_fen').hover()
  await page.locator('.el-popper', { hasText: 'GMV ÷' }).first().waitFor()
  // charts: a canvas wherever there are figures to draw
  const canvases = await page.locator('[data-testid^="report-chart-"] canvas').count()
  if (report.minutes.length) {
    await page.locator('[data-testid="report-chart-online"] canvas').first().waitFor()
    assert.ok(canvases >= 1, 'the charts are drawn')
  } else {
    // nothing counted yet: the page says so (the whole review, or the chart's place)
    await page.locator('[data-testid="report-empty"], [data-testid="report-online"] .el-empty').first().waitFor()
  }
  if (report.funnel.some((r) => r.viewers > 0)) assert.equal(await byTestId(page, 'report-funnel-row').count(), report.funnel.length, 'the funnel table lists its steps')

  // CSV download (fetched with the session cookie, handed over as a blob)
  const [download] = await Promise.all([page.waitForEvent('download'), byTestId(page, 'report-export-csv').click()])
  assert.match(download.suggestedFilename(), /\.csv$/)
  const csv = fs.readFileSync(await download.path(), 'utf8')
  assert.ok(csv.length > 20, 'the CSV has content')
  await settle(page)
  await shot(page, 'analytics-report-zh.png')

  // the review in English (switched in place)
  await byTestId(page, 'lang-en').click()
  await page.waitForFunction(() => document.documentElement.lang === 'en')
  assert.match(await page.locator('[data-testid="report-metric"][data-metric="uv_value_fen"] .metric-label').innerText(), /Value per viewer/)
  await sleep(600)
  await shot(page, 'analytics-report-en.png')
  await byTestId(page, 'lang-zh-CN').click()
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN')

  // ---- the live dashboard ----
  await page.goto(`${server.url}/console/sessions/${live.id}/dashboard`)
  await byTestId(page, 'dash-online').waitFor()
  const first = await dashFigures(page)
  assert.ok(first.updated, 'the dashboard shows when its figures are from')
  // a second viewer enters: the dashboard moves by itself
  const second = await openRoom(live.id, errors)
  const moved = await until('the dashboard figures change without a reload', 25_000, async () => {
    const now = await dashFigures(page)
    return Number(now.online) > Number(first.online) || Number(now.entries) > Number(first.entries) ? now : null
  })
  assert.ok(moved)
  await until('a fresh answer every second or so', 6_000, async () => (await dashFigures(page)).updated !== moved.updated)
  await page.locator('[data-testid="dash-chart"] canvas, [data-testid="dash-chart-empty"]').first().waitFor()
  await shot(page, 'analytics-dashboard.png')

  // big screen: full window, dark, ?big=1; Esc (or ×) leaves it
  await page.setViewportSize(BIG)
  await byTestId(page, 'dash-big-toggle').click()
  await page.locator('[data-testid="dash-page"][data-big="1"]').waitFor()
  await page.waitForURL(/[?&]big=1/)
  const box = await byTestId(page, 'dash-page').boundingBox()
  assert.ok(box && box.width >= BIG.width - 2 && box.height >= BIG.height - 2, `the big screen fills the window: ${JSON.stringify(box)}`)
  await sleep(800)
  await shot(page, 'analytics-bigscreen.png', { fullPage: false })
  await byTestId(page, 'dash-big-exit').click()
  await page.locator('[data-testid="dash-page"][data-big="0"]').waitFor()
  // opened directly
  await page.goto(`${server.url}/console/sessions/${live.id}/dashboard?big=1`)
  await page.locator('[data-testid="dash-page"][data-big="1"]').waitFor()
  await page.setViewportSize(DESKTOP)

  // the live session's review so far: its minutes are drawn (the viewers above entered)
  await page.goto(`${server.url}/console/sessions/${live.id}/report`)
  await page.locator('[data-testid="report-chart-online"] canvas').first().waitFor()
  await byTestId(page, 'report-chart-watch').or(page.locator('[data-testid="report-watch"] .el-empty')).first().waitFor()
  await sleep(600)
  await shot(page, 'analytics-report-live.png')

  // ---- the analytics list: sort by GMV on the server ----
  await page.goto(`${server.url}/console/`)
  await byTestId(page, 'nav-analytics').click()
  await page.waitForURL(/\/console\/analytics/)
  await byTestId(page, 'analytics-row').first().waitFor()
  const table = byTestId(page, 'analytics-table')
  assert.equal(await table.getAttribute('data-sort'), 'gmv_fen')
  assert.equal(await table.getAttribute('data-order'), 'desc')
  const gmvHeader = page.locator('[data-testid="analytics-table"] th', { hasText: '成交金额 GMV' }).first()
  const [asked] = await Promise.all([
    page.waitForRequest((r) => r.url().includes('/api/v1/analytics/sessions?') && r.url().includes('order=asc')),
    gmvHeader.click(),
  ])
  assert.match(asked.url(), /sort=gmv_fen/)
  await page.locator('[data-testid="analytics-table"][data-order="asc"]').waitFor()
  await until('rows in ascending GMV', 5_000, async () => {
    const gmv = await page.locator('[data-testid="analytics-row"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-gmv') || 0)))
    return gmv.length && gmv.every((v, i) => i === 0 || gmv[i - 1] <= v)
  })
  await shot(page, 'analytics-list.png')

  // trend tab renders (a chart, or "no data yet")
  await byTestId(page, 'analytics-tab-trend').click()
  await page.locator('[data-testid="trend-chart"] canvas, [data-testid="trend-empty"]').first().waitFor()
  await shot(page, 'analytics-trend.png')

  await second.ctx.close()
  await viewer.ctx.close()
  await ctx.close()
  assert.deepEqual(errors, [], 'no page errors')
})
