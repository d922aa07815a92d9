// Browser test of buying in a live room against the real sellstream server, in zh-CN.
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream npm run test:e2e
//
// Starts the server with --demo on a fresh data dir (session 1 is live; the demo customer
// 13800000001 holds a "新人礼 无门槛10元" coupon and 1000 points; coupon 1 "直播间专享 满150减20" is
// claimable). The operator offers coupon 1 in session 1's room from the console's Coupons page and
// pins the serum from the room console. The customer claims the coupon from the room's card, puts
// the pinned serum (30 ml) in the cart, buys a lipstick (02 豆沙) from the bag, spends 300 points
// at checkout, pays in the sandbox cashier with WeChat Pay and sees the order paid; a second tab
// in the room sees the stock go down and the "someone just bought" ticker. The operator refunds the
// lipstick's line from the console's Orders page; the customer's order page shows the refund and
// the points page the points given back. Screenshots: web/test-results/.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { byTestId, consoleSignIn, customerSignIn, field, newZhContext, settle, shot, startDemo, stopDemo } from './harness.mjs'

const SESSION = 1
const SERUM = 2 // product 2, SKU 30ml: ¥169 live (¥199 list), 800 in stock
const LIPSTICK = 1 // product 1, SKU 02 豆沙: ¥99 live (¥129 list)
const CUSTOMER = { login: '13800000001', password: 'customer-demo' }
const POINTS = 300
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

test('buying: coupon, checkout with points, sandbox pay, partial refund', { timeout: 300_000 }, async () => {
  assert.ok(browser, 'browser was not started')
  const errors = []

  // ---- the operator signs in to the console ----
  const octx = await newContext(DESKTOP)
  const op = await octx.newPage()
  op.on('pageerror', (e) => errors.push(`operator: ${e.message}`))
  await consoleSignIn(op, server.url, 'operator', 'operator-demo')
  await byTestId(op, 'nav-coupons').waitFor()

  // ---- the customer, signed in through the API, in the room on a phone-sized page ----
  const cctx = await newContext(PHONE)
  await customerSignIn(cctx, server.url, CUSTOMER)
  const me = await cctx.newPage()
  me.on('pageerror', (e) => errors.push(`customer: ${e.message}`))
  // a second tab stays in the room to see the stock and the ticker move
  const watcher = await cctx.newPage()
  watcher.on('pageerror', (e) => errors.push(`watcher: ${e.message}`))

  const pages = { op, me, watcher }
  try {
    await me.goto(`${server.url}/live/${SESSION}`)
    await me.locator('[data-testid="live-room"][data-status="live"]').waitFor()

    // ---- the operator offers coupon 1 in session 1's room (Coupons page) ----
    await byTestId(op, 'nav-coupons').click()
    const couponRow = op.locator('[data-testid="coupons-table"] .el-table__body tr', { has: op.locator('[data-testid="coupon-row"][data-id="1"]') })
    await couponRow.locator('[data-testid="coupon-offer"]').click()
    const offerDialog = op.locator('.el-dialog', { has: op.locator('[data-testid="coupon-offer-session"]') })
    await offerDialog.waitFor()
    await byTestId(op, 'coupon-offer-session').click()
    await op.locator('.el-select-dropdown__item', { hasText: `#${SESSION} ` }).click()
    await byTestId(op, 'coupon-offer-submit').click()
    await op.locator('.el-message--success', { hasText: '已在直播间投放' }).waitFor()

    // ---- ... and pins the serum from the room console ----
    await op.goto(`${server.url}/console/sessions/${SESSION}/room`)
    await op.locator('[data-testid="room-console"][data-status="live"]').waitFor()
    const bagRow = op.locator(`[data-testid="room-bag-row"][data-product="${SERUM}"]`)
    await bagRow.locator('[data-testid="room-pin"]').click()
    await bagRow.locator('[data-testid="room-pinned-flag"]').waitFor()

    // ---- the room: the coupon card, the pinned card with its live price and stock ----
    const card = me.locator('[data-testid="room-coupon"][data-coupon="1"]')
    await card.waitFor()
    assert.match(await card.locator('[data-testid="room-coupon-face"]').innerText(), /¥20/)
    const pinned = me.locator(`[data-testid="room-pinned"][data-product="${SERUM}"]`)
    await pinned.waitFor()
    assert.match(await pinned.locator('[data-testid="room-pinned-price"]').innerText(), /¥169\.00/)
    const stockBefore = Number(await pinned.locator('[data-testid="room-pinned-stock"]').getAttribute('data-stock'))
    assert.ok(stockBefore > 0, 'the pinned card shows the stock')
    assert.match(await pinned.locator('[data-testid="room-pinned-stock"]').innerText(), new RegExp(String(stockBefore)))

    // claim it: the card says so afterwards
    await card.locator('[data-testid="room-coupon-claim"]').click()
    await me.locator('[data-testid="room-coupon"][data-claimed="true"]').waitFor()
    assert.equal((await card.locator('[data-testid="room-coupon-claim"]').innerText()).trim(), '已领取')
    const wallet = await (await cctx.request.get(server.url + '/api/v1/me/coupons')).json()
    const claimed = wallet.items.find((c) => c.coupon_id === 1)
    assert.ok(claimed, 'the claimed coupon is in the wallet')

    await watcher.goto(`${server.url}/live/${SESSION}`)
    await watcher.locator(`[data-testid="room-pinned"][data-product="${SERUM}"]`).waitFor()

    // ---- the pinned serum (30 ml) into the cart ----
    await pinned.locator('[data-testid="room-pinned-buy"]').click()
    const sheet = me.locator(`[data-testid="buy-sheet"][data-product="${SERUM}"]`)
    await sheet.waitFor()
    await sheet.locator('[data-testid="buy-option"][data-value="30ml"]').click()
    assert.match(await sheet.locator('[data-testid="buy-price"]').innerText(), /¥169\.00/)
    await sheet.locator('[data-testid="buy-add"]').click()
    await byTestId(me, 'room-cart-count').filter({ hasText: '1' }).waitFor()

    // ---- a lipstick (02 豆沙) from the bag, then to checkout ----
    await byTestId(me, 'room-bag-button').click()
    await byTestId(me, 'room-cart-bar').waitFor()
    await me.locator(`[data-testid="room-bag-item"][data-product="${LIPSTICK}"] [data-testid="room-bag-buy"]`).click()
    const lip = me.locator(`[data-testid="buy-sheet"][data-product="${LIPSTICK}"]`)
    await lip.waitFor()
    await lip.locator('[data-testid="buy-option"][data-value="02 豆沙"]').click()
    assert.match(await lip.locator('[data-testid="buy-limit"]').innerText(), /限购 2 件/)
    await lip.locator('[data-testid="buy-now"]').click()

    const checkout = byTestId(me, 'checkout-sheet')
    await checkout.waitFor()
    await me.locator('[data-testid="checkout-total"]:not([data-total=""])').waitFor()
    assert.equal(await byTestId(me, 'checkout-line').count(), 2, 'two lines: the serum and the lipstick')
    assert.match(await byTestId(me, 'checkout-address').innerText(), /张小姐/)
    // the best coupon is preselected: the claimed 满150减20 (¥20) beats 无门槛10元
    const couponValue = byTestId(me, 'checkout-coupon-value')
    await me.locator(`[data-testid="checkout-coupon-value"][data-coupon="${claimed.id}"]`).waitFor()
    assert.match(await couponValue.innerText(), /¥20\.00/)
    // the chooser lists both held coupons with what each would give
    await byTestId(me, 'checkout-coupon').click()
    await byTestId(me, 'coupon-chooser').waitFor()
    assert.equal(await me.locator('[data-testid="coupon-option"][data-usable="true"]').count(), 2)
    await me.locator(`[data-testid="coupon-option"][data-id="${claimed.id}"]`).click()
    await byTestId(me, 'coupon-chooser').waitFor({ state: 'hidden' })

    // spend some points: 300 points (100 to the yuan) take ¥3.00 off
    await byTestId(me, 'checkout-points-switch').click()
    const pointsInput = me.locator('[data-testid="checkout-points-input"] input')
    await pointsInput.fill(String(POINTS))
    await pointsInput.blur()
    await me.locator(`[data-testid="checkout-points-value"][data-points="${POINTS}"]`).waitFor()
    const total = 16900 + 9900 - 2000 - POINTS
    await me.locator(`[data-testid="checkout-total"][data-total="${total}"]`).waitFor()
    assert.match(await byTestId(me, 'checkout-total').innerText(), new RegExp(money(total).replace('.', '\\.')))
    await me.locator('[data-testid="price-line"][data-kind="points"]').waitFor()
    await sleepForAnimations(me)
    await shot(me, 'buying-checkout-zh-CN.png', { fullPage: false })

    // ---- place the order and pay in the sandbox ----
    await byTestId(me, 'checkout-submit').click()
    await me.waitForURL(/\/pay\/[0-9A-Za-z]+/)
    await me.locator('[data-testid="pay-page"][data-view="cashier"]').waitFor()
    assert.match(await byTestId(me, 'pay-sandbox').innerText(), /沙箱支付/)
    assert.equal(await byTestId(me, 'pay-amount').getAttribute('data-amount'), String(total))
    assert.ok(Number(await byTestId(me, 'pay-countdown').getAttribute('data-left')) > 0, 'a countdown to the pay deadline')
    const orderNumber = (await byTestId(me, 'pay-order-number').innerText()).replace(/\D/g, '')
    assert.ok(orderNumber.length >= 10, 'the order number is shown')
    // the room heard of the order: the stock went down
    await watcher.locator(`[data-testid="room-pinned-stock"][data-stock="${stockBefore - 1}"]`).waitFor()

    await byTestId(me, 'pay-method-wechat').click()
    await me.locator('[data-testid="pay-method-wechat"][aria-checked="true"]').waitFor()
    await shot(me, 'buying-pay-zh-CN.png', { fullPage: false })
    await byTestId(me, 'pay-confirm').click()
    await me.locator('[data-testid="pay-result"][data-outcome="paid"]').waitFor()
    assert.match(await byTestId(me, 'pay-result-title').innerText(), /支付成功/)
    // ... and the "someone just bought" ticker in the room (a background tab paints nothing)
    await watcher.bringToFront()
    const ticker = watcher.locator('[data-testid="room-purchase"]', { hasText: '刚刚买了' })
    await ticker.waitFor()
    assert.match(await ticker.innerText(), /\*\*/, 'the buyer is masked')
    await watcher.waitForTimeout(500)
    await shot(watcher, 'buying-room-ticker-zh-CN.png', { fullPage: false })
    await me.bringToFront()

    await byTestId(me, 'pay-view-order').click()
    await me.locator('[data-testid="order-page"][data-state="paid"]').waitFor()
    assert.match(await byTestId(me, 'order-state').innerText(), /已付款/)
    assert.match(await byTestId(me, 'order-total').innerText(), new RegExp(money(total).replace('.', '\\.')))
    assert.equal(await byTestId(me, 'order-line').count(), 2)
    const order = (await (await cctx.request.get(server.url + '/api/v1/me/orders', { params: { state: 'paid' } })).json()).items.find((o) => o.number === orderNumber)
    assert.ok(order, 'the order is listed as paid')
    assert.equal(order.points_used, POINTS)
    const lipLine = order.lines.find((l) => l.product_id === LIPSTICK)
    assert.ok(lipLine, 'the lipstick has its line')

    // ---- the operator refunds the lipstick's line on the Orders page ----
    await op.goto(`${server.url}/console/orders`)
    await field(op, 'orders-search').fill(orderNumber)
    await byTestId(op, 'orders-apply').click()
    const row = op.locator(`[data-testid="order-row"][data-number="${orderNumber}"]`)
    await row.waitFor()
    await settle(op)
    await shot(op, 'buying-console-orders-zh-CN.png', { fullPage: false })
    await row.click()
    const drawer = op.locator(`[data-testid="order-drawer"][data-id="${order.id}"]`)
    await drawer.waitFor()
    const lineRow = drawer.locator('[data-testid="order-lines"] .el-table__body tr', { has: op.locator(`[data-testid="order-line"][data-line="${lipLine.line_no}"]`) })
    await lineRow.locator('.el-checkbox').click()
    await drawer.locator('[data-testid="order-refund"]', { hasText: '退款所选 1 行' }).waitFor()
    await drawer.locator('[data-testid="order-refund"]').click()
    const prompt = op.locator('.el-message-box')
    await prompt.waitFor()
    assert.match(await prompt.innerText(), new RegExp(money(lipLine.payable).replace('.', '\\.')), 'the prompt says how much goes back')
    await prompt.locator('input').fill('顾客不想要口红了')
    await prompt.locator('.el-message-box__btns .el-button--primary').click()
    await drawer.locator('[data-testid="order-refunds"]').waitFor()
    assert.match(await drawer.locator('[data-testid="order-refund-amount"]').first().innerText(), new RegExp(money(lipLine.payable).replace('.', '\\.')))
    await drawer.locator(`[data-testid="order-line"][data-line="${lipLine.line_no}"][data-refunded="true"]`).waitFor()
    await settle(op)
    await shot(op, 'buying-console-refund-zh-CN.png', { fullPage: false })

    // ---- the customer sees the refund on the order page ... ----
    await me.reload()
    await me.locator('[data-testid="order-page"]').waitFor()
    await me.locator(`[data-testid="order-line"][data-line="${lipLine.line_no}"][data-refunded="true"]`).waitFor()
    const refund = byTestId(me, 'order-refund-record')
    await refund.waitFor()
    assert.equal(await refund.getAttribute('data-amount'), String(lipLine.payable))
    assert.match(await refund.innerText(), /顾客不想要口红了/)
    assert.equal(await byTestId(me, 'order-refunded').getAttribute('data-amount'), String(lipLine.payable))
    await shot(me, 'buying-order-zh-CN.png', { fullPage: true })

    // ---- ... and the points page the points given back ----
    await me.goto(`${server.url}/me`)
    await byTestId(me, 'me-points').click()
    await me.waitForURL(/\/me\/points$/)
    const back = me.locator('[data-testid="points-entry"][data-reason="return"]')
    await back.waitFor()
    const returned = Number(await back.getAttribute('data-delta'))
    assert.ok(returned > 0 && returned <= POINTS, `some points came back (${returned})`)
    assert.equal(returned, lipLine.points_fen, 'the line’s share of the points (100 points to the yuan)')
    assert.match(await back.innerText(), /退还/)
    await me.locator('[data-testid="points-entry"][data-reason="spend"]').waitFor()
    assert.equal(await byTestId(me, 'points-balance').getAttribute('data-balance'), String(1000 - POINTS + returned))
    await shot(me, 'buying-points-zh-CN.png', { fullPage: true })

    // ---- my orders lists it, my coupons shows the claimed coupon used ----
    await me.goto(`${server.url}/me/orders`)
    await me.locator(`[data-testid="order-card"][data-id="${order.id}"]`).waitFor()
    await me.goto(`${server.url}/me/coupons`)
    await byTestId(me, 'coupons-page').waitFor()
    await me.locator('[role="tab"]', { hasText: '已使用' }).click()
    await me.locator('[data-testid="coupon-ticket"][data-state="used"][data-coupon="1"]').waitFor()

    assert.deepEqual(errors, [], 'no uncaught errors in the pages')
  } catch (e) {
    for (const [name, p] of Object.entries(pages)) await shot(p, `failure-buying-${name}.png`, { fullPage: false }).catch(() => undefined)
    if (server) e.message += `\n--- server output (tail) ---\n${server.log().slice(-4000)}`
    throw e
  } finally {
    await Promise.all([octx.close(), cctx.close()].map((p) => p.catch(() => undefined)))
  }
})

/** Lets pop-up transitions finish so screenshots show the settled sheet. */
async function sleepForAnimations(page) {
  await page.waitForTimeout(400)
}
