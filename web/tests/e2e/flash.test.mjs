// Browser test of a flash sale (秒杀) against the real sellstream server, in zh-CN.
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream npm run test:e2e
//
// Starts the server with --demo on a fresh data dir (session 1 is live; the demo customer
// 13800000001 has address 1). The controller launches a sale from the room console's flash-sale
// panel: the headphones (曜石黑), quota 2, ¥199, one per customer, a countdown of a few seconds.
// The customer, in the room on a phone-sized page, sees the card count down with the button
// disabled, then enabled at the start; buys one in the quick checkout (the flash price line) and
// pays in the sandbox; back in the room the card says 1 left and 已抢到. A second customer,
// registered through the API, buys the last one; the first customer's room shows 已抢光. The
// console's card shows 2 orders and the GMV; the controller ends the sale and it moves to the
// ended list with nothing returned to stock; the room drops the card. Screenshots: web/test-results/.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { RESULTS_DIR, byTestId, consoleSignIn, customerSignIn, field, newZhContext, settle, shot, startDemo, stopDemo } from './harness.mjs'

const SESSION = 1
const HEADPHONES = 6 // product 6: ANC headphones, ¥599 list
const SKU = 16 // its 曜石黑 SKU
const QUOTA = 2
const PRICE = 19900
const COUNTDOWN = 8
const CUSTOMER = { login: '13800000001', password: 'customer-demo' }
const SECOND = { phone: '13900000042', nickname: '秒杀二号', password: 'flash-pass-0042' }
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1440, height: 900 }

let server = null
let tmpRoot = ''
let browser = null

before(async () => {
  ;({ server, browser, tmpRoot } = await startDemo())
})

after(async () => {
  await stopDemo({ server, browser, tmpRoot })
  browser = null
  server = null
})

const newContext = (viewport) => newZhContext(browser, viewport)

const money = (fen) => '¥' + (fen / 100).toFixed(2)
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Buys the sale's last shown unit from the room's card through the quick checkout, then pays. */
async function buyAndPay(page) {
  const card = page.locator('[data-testid="flash-card"]')
  await card.locator('[data-testid="flash-buy"]:not([disabled])').click()
  const sheet = byTestId(page, 'flash-checkout')
  await sheet.waitFor()
  await page.locator('[data-testid="flash-checkout-total"]:not([data-total=""])').waitFor()
  // the price lines of POST /checkout/preview: goods at list, the flash price line, shipping
  const flashLine = sheet.locator('[data-testid="price-line"][data-kind="live_price"]')
  await flashLine.waitFor()
  assert.match(await flashLine.innerText(), /秒杀价/)
  const shipping = Number((await sheet.locator('[data-testid="price-line"][data-kind="shipping"]').getAttribute('data-amount')) ?? 0)
  const total = PRICE + shipping
  assert.equal(await byTestId(page, 'flash-checkout-total').getAttribute('data-total'), String(total))
  assert.match(await byTestId(page, 'flash-checkout-price').innerText(), new RegExp(escape(money(PRICE))))
  await page.waitForTimeout(350)
  await byTestId(page, 'flash-checkout-submit').click()
  await page.waitForURL(/\/pay\/[0-9A-Za-z]+/)
  await page.locator('[data-testid="pay-page"][data-view="cashier"]').waitFor()
  assert.equal(await byTestId(page, 'pay-amount').getAttribute('data-amount'), String(total))
  await byTestId(page, 'pay-confirm').click()
  await page.locator('[data-testid="pay-result"][data-outcome="paid"]').waitFor()
  return total
}

test('flash sale: launch, count down, buy out, watch the figures, end', { timeout: 300_000 }, async () => {
  assert.ok(browser, 'browser was not started')
  const errors = []

  // ---- the controller, in the room console ----
  const octx = await newContext(DESKTOP)
  const op = await octx.newPage()
  op.on('pageerror', (e) => errors.push(`controller: ${e.message}`))
  await consoleSignIn(op, server.url, 'controller', 'controller-demo')
  await op.waitForURL((u) => !u.pathname.includes('/login'))

  // ---- the customer, signed in through the API, in the room on a phone-sized page ----
  const cctx = await newContext(PHONE)
  await customerSignIn(cctx, server.url, CUSTOMER)
  const me = await cctx.newPage()
  me.on('pageerror', (e) => errors.push(`customer: ${e.message}`))

  // ---- a second customer, registered through the API ----
  const sctx = await newContext(PHONE)
  const reg = await sctx.request.post(server.url + '/api/v1/auth/register', { data: SECOND })
  assert.equal(reg.status(), 201, `register: ${reg.status()} ${await reg.text()}`)
  const addr = await sctx.request.post(server.url + '/api/v1/me/addresses', {
    data: { recipient: '李先生', phone: SECOND.phone, region: '上海市 浦东新区', detail: '世纪大道 100 号', is_default: true },
  })
  assert.equal(addr.status(), 201, `address: ${addr.status()} ${await addr.text()}`)
  const second = await sctx.newPage()
  second.on('pageerror', (e) => errors.push(`second: ${e.message}`))

  const pages = { op, me, second }
  try {
    await me.goto(`${server.url}/live/${SESSION}`)
    await me.locator('[data-testid="live-room"][data-status="live"]').waitFor()
    assert.equal(await byTestId(me, 'flash-card').count(), 0, 'no sale in the room yet')

    // ---- the controller launches the sale from the flash-sale panel ----
    await op.goto(`${server.url}/console/sessions/${SESSION}/room`)
    await op.locator('[data-testid="room-console"][data-status="live"]').waitFor()
    const panel = byTestId(op, 'flash-panel')
    await panel.waitFor()
    await byTestId(op, 'flash-product').click()
    await op.locator(`.el-select-dropdown__item[data-product="${HEADPHONES}"]`).click()
    await byTestId(op, 'flash-sku').click()
    await op.locator(`.el-select-dropdown__item[data-sku="${SKU}"]`).click()
    await field(op, 'flash-quota').fill(String(QUOTA))
    await field(op, 'flash-quota').blur()
    await field(op, 'flash-price').fill(String(PRICE / 100))
    await field(op, 'flash-price').blur()
    assert.match(await byTestId(op, 'flash-price-hint').innerText(), /¥599\.00/)
    await field(op, 'flash-per-customer').fill('1')
    await field(op, 'flash-per-customer').blur()
    await field(op, 'flash-countdown').fill(String(COUNTDOWN))
    await field(op, 'flash-countdown').blur()
    await byTestId(op, 'flash-launch').click()
    await op.locator('.el-message--success', { hasText: '秒杀已发起' }).waitFor()
    const opCard = op.locator('[data-testid="flash-sale-card"]')
    await opCard.waitFor()
    const saleId = Number(await opCard.getAttribute('data-sale'))
    assert.ok(saleId > 0, 'the console shows the new sale')
    assert.equal(await opCard.getAttribute('data-remaining'), String(QUOTA))
    await op.locator(`[data-testid="flash-sale-card"][data-sale="${saleId}"][data-phase="upcoming"]`).waitFor()
    assert.match(await opCard.locator('[data-testid="flash-sale-clock"]').innerText(), /距开抢 00:0\d/)

    // ---- the room: the card counts down, the button waits ----
    const card = me.locator(`[data-testid="flash-card"][data-sale="${saleId}"]`)
    await me.locator(`[data-testid="flash-card"][data-sale="${saleId}"][data-phase="upcoming"]`).waitFor()
    assert.match(await card.locator('[data-testid="flash-title"]').innerText(), /降噪蓝牙耳机/)
    assert.match(await card.locator('[data-testid="flash-price"]').innerText(), new RegExp(escape(money(PRICE))))
    assert.match(await card.locator('[data-testid="flash-list-price"]').innerText(), /¥599\.00/)
    const countdown = card.locator('[data-testid="flash-countdown"]')
    assert.equal(await countdown.getAttribute('data-to'), 'start')
    const left = Number(await countdown.getAttribute('data-left'))
    assert.ok(left > 0 && left <= COUNTDOWN, `a countdown to the start (${left} s)`)
    assert.match(await countdown.innerText(), /距开抢\s*00:0\d/)
    assert.ok(await card.locator('[data-testid="flash-buy"]').isDisabled(), 'no buying before the start')
    assert.match(await card.locator('[data-testid="flash-remaining"]').innerText(), new RegExp(`仅剩 ${QUOTA} 件`))
    await shot(me, 'flash-room-upcoming-zh-CN.png', { fullPage: false })

    // ... and opens at the start, counting down to the end
    await me.locator(`[data-testid="flash-card"][data-sale="${saleId}"][data-phase="running"]`).waitFor()
    await card.locator('[data-testid="flash-buy"]:not([disabled])').waitFor()
    assert.equal(await countdown.getAttribute('data-to'), 'end')
    assert.match(await countdown.innerText(), /距结束/)
    assert.equal((await card.locator('[data-testid="flash-buy"]').innerText()).trim(), '立即抢')
    await shot(me, 'flash-room-running-zh-CN.png', { fullPage: false })

    // ---- the customer buys one and pays in the sandbox ----
    const total = await buyAndPay(me)

    // back in the room: one left, and this customer holds theirs
    await byTestId(me, 'pay-back-room').click()
    await me.waitForURL(new RegExp(`/live/${SESSION}$`))
    await me.locator(`[data-testid="flash-card"][data-sale="${saleId}"][data-remaining="1"]`).waitFor()
    assert.match(await card.locator('[data-testid="flash-remaining"]').innerText(), /仅剩 1 件/)
    assert.equal(await card.locator('[data-testid="flash-progress"]').getAttribute('data-sold'), '1')
    await me.locator(`[data-testid="flash-card"][data-sale="${saleId}"][data-got="1"]`).waitFor()
    assert.equal((await card.locator('[data-testid="flash-buy"]').innerText()).trim(), '已抢到')
    assert.ok(await card.locator('[data-testid="flash-buy"]').isDisabled(), 'one per customer: no second buy')

    // ---- the second customer buys the last one ----
    await second.goto(`${server.url}/live/${SESSION}`)
    await second.locator(`[data-testid="flash-card"][data-sale="${saleId}"][data-phase="running"][data-remaining="1"]`).waitFor()
    await buyAndPay(second)

    // ---- the first customer's room: sold out ----
    await me.locator(`[data-testid="flash-card"][data-sale="${saleId}"][data-phase="sold_out"]`).waitFor()
    assert.equal(await card.getAttribute('data-remaining'), '0')
    assert.match(await card.locator('[data-testid="flash-remaining"]').innerText(), /已抢光/)
    assert.match(await card.locator('[data-testid="flash-buy"]').innerText(), /已抢光/)
    assert.ok(await card.locator('[data-testid="flash-buy"]').isDisabled())
    await me.waitForTimeout(400)
    await shot(me, 'flash-room-sold-out-zh-CN.png', { fullPage: false })

    // ---- the console's card: two orders and their GMV ----
    const sold = op.locator(`[data-testid="flash-sale-card"][data-sale="${saleId}"][data-orders="2"]`)
    await sold.waitFor()
    assert.equal(await sold.getAttribute('data-gmv'), String(2 * PRICE))
    assert.equal(await sold.getAttribute('data-phase'), 'sold_out')
    assert.match(await sold.locator('[data-testid="flash-sale-gmv"]').innerText(), new RegExp(escape(money(2 * PRICE))))
    assert.equal((await sold.locator('[data-testid="flash-sale-orders"] b').innerText()).trim(), '2')
    assert.match(await sold.locator('[data-testid="flash-sale-remaining"]').innerText(), new RegExp(`0 / ${QUOTA}`))
    assert.ok(total >= PRICE)
    await settle(op)
    await byTestId(op, 'flash-panel').screenshot({ path: path.join(RESULTS_DIR, 'flash-console-panel-zh-CN.png') })

    // ---- the controller ends it: nothing goes back, it moves to the ended list ----
    await sold.locator('[data-testid="flash-sale-end"]').click()
    const confirm = op.locator('.el-message-box')
    await confirm.waitFor()
    await confirm.locator('.el-message-box__btns .el-button--danger, .el-message-box__btns .el-button--primary').last().click()
    const endedRow = op.locator(`[data-testid="flash-ended-row"][data-sale="${saleId}"]`)
    await endedRow.waitFor()
    assert.equal(await endedRow.getAttribute('data-returned'), '0')
    assert.equal(await endedRow.getAttribute('data-orders'), '2')
    assert.equal(await endedRow.locator('[data-testid="flash-ended-sold"]').innerText(), `${QUOTA}/${QUOTA}`)
    assert.equal(await op.locator(`[data-testid="flash-sale-card"][data-sale="${saleId}"]`).count(), 0)
    // ... and the room drops the card
    await card.waitFor({ state: 'detached' })

    // the orders were placed at the flash price, in this sale
    const mine = await (await cctx.request.get(server.url + '/api/v1/me/orders', { params: { state: 'paid' } })).json()
    const order = mine.items.find((o) => o.flash_sale_id === saleId)
    assert.ok(order, 'the paid order names the sale')
    assert.equal(order.lines[0].sku_id, SKU)
    assert.equal(order.lines[0].unit_price, PRICE)

    assert.deepEqual(errors, [], 'no uncaught errors in the pages')
  } catch (e) {
    for (const [name, p] of Object.entries(pages)) await shot(p, `failure-flash-${name}.png`, { fullPage: false }).catch(() => undefined)
    if (server) e.message += `\n--- server output (tail) ---\n${server.log().slice(-4000)}`
    throw e
  } finally {
    await Promise.all([octx.close(), cctx.close(), sctx.close()].map((p) => p.catch(() => undefined)))
  }
})
