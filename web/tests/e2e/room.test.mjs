// Browser test of the live room against the real sellstream server, in zh-CN.
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream npm run test:e2e
//
// Starts the server with --demo on a fresh data dir (demo session 1 is live), registers two
// customers through the API, and drives three browser contexts: viewers A and B on the phone-sized
// live room (/live/1) and the controller on the room console (/console/sessions/1/room). Checks
// chat both ways, likes, pinning, a poll, a lottery drawn in A's favour, a refused banned word,
// and that after the server is stopped (SIGTERM) and started again on the same port and data dir
// the viewer's page reconnects by itself and shows the same room. Screenshots: web/test-results/.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { byTestId, consoleSignIn, field, newZhContext, settle, shot, startDemo, startServer, sleep, stopDemo } from './harness.mjs'

const SESSION = 1
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1440, height: 900 }

let server = null
let port = 0
let dataDir = ''
let tmpRoot = ''
let browser = null

before(async () => {
  ;({ server, browser, tmpRoot, dataDir, port } = await startDemo())
})

after(async () => {
  await stopDemo({ server, browser, tmpRoot })
  browser = null
  server = null
})

/** Letters only: no digit runs (those look like phone numbers to moderation) and no banned words. */
function stamp() {
  const abc = 'abcdefghjkmnpqrstuwyz'
  let s = ''
  for (let i = 0; i < 6; i++) s += abc[Math.floor(Math.random() * abc.length)]
  return s
}

const newContext = (viewport) => newZhContext(browser, viewport)

/** A viewer: a customer registered (and so signed in) through the API in its own context. */
async function viewer(phone, nickname, errors) {
  const ctx = await newContext(PHONE)
  const res = await ctx.request.post(server.url + '/api/v1/auth/register', {
    data: { phone, nickname, password: 'viewer-pass-' + phone.slice(-4) },
  })
  assert.equal(res.status(), 201, `register ${phone}: ${res.status()} ${await res.text()}`)
  const account = (await res.json()).account
  const page = await ctx.newPage()
  page.on('pageerror', (e) => errors.push(`${nickname}: ${e.message}`))
  await page.goto(`${server.url}/live/${SESSION}`)
  await page.locator('[data-testid="live-room"][data-status="live"]').waitFor()
  return { ctx, page, account, nickname }
}

const chatMessage = (page, text) => byTestId(page, 'chat-message').filter({ hasText: text })
const count = async (locator) => Number(await locator.getAttribute('data-count'))

async function say(page, text) {
  await byTestId(page, 'room-chat-input').fill(text)
  await byTestId(page, 'room-chat-input').press('Enter')
}

test('live room: viewers and the controller', { timeout: 300_000 }, async (t) => {
  assert.ok(browser, 'browser was not started')
  const errors = []
  const a = await viewer('13800000002', '观众小A', errors)
  const b = await viewer('13800000003', '观众小B', errors)

  // ---- the controller signs in to the console and opens the room console ----
  const cctx = await newContext(DESKTOP)
  const c = await cctx.newPage()
  c.on('pageerror', (e) => errors.push(`controller: ${e.message}`))
  await consoleSignIn(c, server.url, 'controller', 'controller-demo')
  await byTestId(c, 'nav-sessions').waitFor()
  await c.goto(`${server.url}/console/sessions/${SESSION}`)
  await byTestId(c, 'open-room-console').click()
  await c.waitForURL(new RegExp(`/console/sessions/${SESSION}/room$`))
  await c.locator('[data-testid="room-console"][data-status="live"]').waitFor()

  const pages = { a: a.page, b: b.page, c }
  try {
    // ---- the room as a viewer sees it ----
    assert.equal((await byTestId(a.page, 'room-live-badge').innerText()).trim(), '直播中')
    assert.match(await byTestId(a.page, 'room-online').innerText(), /人在看/)
    assert.equal(await a.page.evaluate(() => document.documentElement.lang), 'zh-CN')

    // ---- chat both ways ----
    const s = stamp()
    const fromA = `主播好美 <b>${s}</b>` // chat is text, never HTML
    const fromB = `想要同款 ${s}`
    await say(a.page, fromA)
    await chatMessage(b.page, fromA).waitFor()
    assert.match(await chatMessage(b.page, fromA).innerText(), /观众小A/)
    assert.equal(await chatMessage(b.page, fromA).locator('b').count(), 0, 'chat text must not be rendered as HTML')
    await say(b.page, fromB)
    await chatMessage(a.page, fromB).waitFor()
    await byTestId(c, 'room-comment').filter({ hasText: fromB }).waitFor()

    // ---- likes tapped by A raise the count B sees ----
    const likes = byTestId(b.page, 'room-likes')
    const before = await count(likes)
    for (let i = 0; i < 7; i++) await byTestId(a.page, 'room-like').click()
    await b.page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid="room-likes"]')?.getAttribute('data-count')) >= n,
      before + 7,
    )

    // ---- the controller pins product 2 (bag number 2) ----
    const row = c.locator('[data-testid="room-bag-row"][data-product="2"]')
    await row.locator('[data-testid="room-pin"]').click()
    await row.locator('[data-testid="room-pinned-flag"]').waitFor()
    for (const v of [a, b]) {
      const card = v.page.locator('[data-testid="room-pinned"][data-product="2"]')
      await card.waitFor()
      assert.equal((await card.locator('[data-testid="room-pinned-no"]').innerText()).trim(), '2号')
      // The demo's live price (直播价) for the 30 ml serum, with the list price struck through.
      assert.match(await card.locator('[data-testid="room-pinned-price"]').innerText(), /¥169\.00/)
      await card.locator('[data-testid="room-pinned-live"]').waitFor()
      assert.match(await card.locator('[data-testid="room-pinned-list-price"]').innerText(), /¥199\.00/)
    }

    // ---- an announcement ----
    const ann = `今晚8点整秒杀 ${s}`
    await field(c, 'room-announcement-input').fill(ann)
    await byTestId(c, 'room-announce').click()
    await byTestId(a.page, 'room-announcement').filter({ hasText: ann }).waitFor()

    // ---- a poll: both vote, the controller sees the tally ----
    await byTestId(c, 'room-tab-poll').click()
    await field(c, 'room-poll-question').fill(`下一个讲哪款？${s}`)
    await field(c, 'room-poll-option-0').fill('口红')
    await field(c, 'room-poll-option-1').fill('精华')
    await byTestId(c, 'room-poll-open').click()
    await c.locator('[data-testid="room-poll-card"][data-open="true"]').waitFor()
    for (const v of [a, b]) await v.page.locator('[data-testid="room-poll"][data-open="true"]').waitFor()
    await a.page.locator('[data-testid="room-poll-option"][data-index="0"]').click()
    await b.page.locator('[data-testid="room-poll-option"][data-index="1"]').click()
    await c.locator('[data-testid="room-poll-total"][data-total="2"]').waitFor()
    assert.equal(await c.locator('[data-testid="room-poll-tally"][data-index="0"]').getAttribute('data-count'), '1')
    assert.equal(await c.locator('[data-testid="room-poll-tally"][data-index="1"]').getAttribute('data-count'), '1')
    // the viewers see the results once they voted
    await a.page.locator('[data-testid="room-poll-result"][data-index="1"][data-count="1"]').waitFor()
    await settle(c)
    await shot(a.page, 'room-viewer-zh-CN.png', { fullPage: false })
    await byTestId(c, 'room-poll-close').click()
    await b.page.locator('[data-testid="room-poll"][data-open="false"]').waitFor()

    // ---- a lottery: A enters, the controller draws, A has won ----
    const lotteryTitle = `整点福袋 ${s}`
    await byTestId(c, 'room-tab-lottery').click()
    await field(c, 'room-lottery-title').fill(lotteryTitle)
    await field(c, 'room-lottery-prize').fill('口红正装一支')
    await byTestId(c, 'room-lottery-open').click()
    await c.locator('[data-testid="room-lottery-card"][data-open="true"]').waitFor()
    // the lottery pops up for the viewers
    const enter = byTestId(a.page, 'room-lottery-enter')
    await enter.waitFor()
    assert.match(await byTestId(a.page, 'room-lottery-title').innerText(), new RegExp(lotteryTitle))
    await enter.click()
    await a.page.locator('[data-testid="room-lottery"][data-entered="true"]').waitFor()
    await c.locator('[data-testid="room-lottery-entries"][data-count="1"]').waitFor()
    await byTestId(c, 'room-lottery-draw').click()
    await c.locator('.el-message-box .el-button--primary').click()
    await c.locator('[data-testid="room-lottery-card"][data-open="false"]').waitFor()
    assert.match(await byTestId(c, 'room-lottery-winners').innerText(), /观众小A/)
    assert.match(await byTestId(c, 'room-lottery-seed').innerText(), /^\d+$/)
    const won = byTestId(a.page, 'room-lottery-won')
    await won.waitFor()
    assert.match(await won.innerText(), /你中奖了/)
    await shot(a.page, 'room-viewer-won-zh-CN.png', { fullPage: false })
    await a.page.keyboard.press('Escape')
    await a.page.locator('.van-popup--center .van-popup__close-icon').click().catch(() => undefined)

    // The drawn lotteries list (REST, GET /sessions/1/lotteries) for the operator.
    const drawnApi = await cctx.request.get(`${server.url}/api/v1/sessions/${SESSION}/lotteries`)
    assert.equal(drawnApi.status(), 200)
    await c.locator('[data-testid="room-drawn-history"] button', { hasText: '刷新' }).click()
    await byTestId(c, 'room-drawn-table').filter({ hasText: lotteryTitle }).waitFor()
    await settle(c)
    await c.evaluate(() => window.scrollTo(0, 0))
    await shot(c, 'room-console-zh-CN.png', { fullPage: false })

    // ---- a banned word: B is told why, A never sees it ----
    await sleep(2100) // B's chat allowance (a burst of 3, then one per 2 s)
    const banned = `加微信聊 ${s}`
    await say(b.page, banned)
    const toast = b.page.locator('.room-error-toast')
    await toast.waitFor()
    const toastText = await toast.innerText()
    assert.match(toastText, /内容违规/, 'the refusal is explained in Chinese')
    assert.match(toastText, /加微信/, 'the refusal names the banned word')
    assert.equal(await field(b.page, 'room-chat-input').inputValue(), banned, 'the refused text is given back for editing')
    await sleep(1200)
    assert.equal(await chatMessage(a.page, banned).count(), 0, 'viewer A must not see the refused message')
    assert.equal(await chatMessage(b.page, banned).count(), 0, 'viewer B does not see it in the room either')
    await byTestId(b.page, 'room-chat-input').fill('')
    // The controller sees the banned-word hit with its reason.
    const hit = byTestId(c, 'room-refused').locator('.refused-row', { hasText: banned })
    await hit.waitFor()
    assert.match(await hit.innerText(), /加微信/)

    // ---- restart: stop the server, start it again on the same port and data dir ----
    const likesBefore = await count(byTestId(a.page, 'room-likes'))
    await server.stop('SIGTERM')
    server = null
    await byTestId(a.page, 'room-reconnecting').waitFor()
    assert.match(await byTestId(a.page, 'room-reconnecting').innerText(), /重新连接中/)
    await sleep(400) // let it fade in for the screenshot
    await shot(a.page, 'room-viewer-reconnecting-zh-CN.png', { fullPage: false })
    server = await startServer({ port, dataDir, demo: false })

    // the page finds its way back by itself, and shows the same room
    await a.page.locator('[data-testid="live-room"][data-status="live"]').waitFor({ timeout: 45_000 })
    await byTestId(a.page, 'room-reconnecting').waitFor({ state: 'hidden' })
    await chatMessage(a.page, fromA).waitFor()
    await chatMessage(a.page, fromB).waitFor()
    assert.equal((await a.page.locator('[data-testid="room-pinned"][data-product="2"] [data-testid="room-pinned-no"]').innerText()).trim(), '2号')
    assert.equal(await count(byTestId(a.page, 'room-likes')), likesBefore, 'the like count survives the restart')
    await byTestId(a.page, 'room-announcement').filter({ hasText: ann }).waitFor()
    // the room still works: a new message goes through
    const after = `又回来了 ${s}`
    await say(a.page, after)
    await chatMessage(b.page, after).waitFor({ timeout: 45_000 })
    await c.locator('[data-testid="room-console"][data-status="live"]').waitFor({ timeout: 45_000 })

    assert.deepEqual(errors, [], 'no uncaught errors in the pages')
  } catch (e) {
    for (const [name, p] of Object.entries(pages)) await shot(p, `failure-room-${name}.png`, { fullPage: false }).catch(() => undefined)
    if (server) e.message += `\n--- server output (tail) ---\n${server.log().slice(-4000)}`
    throw e
  } finally {
    await Promise.all([a.ctx.close(), b.ctx.close(), cctx.close()].map((p) => p.catch(() => undefined)))
  }
})
