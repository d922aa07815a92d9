// Browser test of the staff console against the real sellstream server.
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream npm run test:e2e
//
// Starts `$SELLSTREAM_BIN serve --bind 127.0.0.1:<free port> --data-dir <tmp> --demo`
// (cwd: the repository root, so a server that serves ./web/dist finds it), waits
// for GET /healthz, then drives Debian's Chromium through playwright-core.
// For each language (zh-CN, en): sign in as operator, create a product with two
// SKUs, create a session, put the product in its bag, go live, and check the
// lists, the bag, the viewer's live room (its bag) and the language of visible text.
// Screenshots go to web/test-results/ (gitignored). The server is killed at the
// end, also on failure.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS, STEP_TIMEOUT, byTestId, checkPrerequisites, field, freePort, makeTmp, removeTmp, settle, shot, startServer } from './harness.mjs'

const LANGS = {
  'zh-CN': {
    loginTitle: '登录管理后台',
    navProducts: '商品',
    navSessions: '直播场次',
    navChannels: '渠道',
    liveLabel: '直播中',
    bagHeading: '购物袋',
    productTitle: (stamp) => `E2E 丝绒口红 ${stamp}`,
    sessionTitle: (stamp) => `E2E 新品首发专场 ${stamp}`,
    attr: ['颜色', '红'],
    attr2: ['尺码', 'M'],
  },
  en: {
    loginTitle: 'Sign in to the console',
    navProducts: 'Products',
    navSessions: 'Live sessions',
    navChannels: 'Channels',
    liveLabel: 'Live',
    bagHeading: 'Shopping bag',
    productTitle: (stamp) => `E2E Velvet lipstick ${stamp}`,
    sessionTitle: (stamp) => `E2E Launch night ${stamp}`,
    attr: ['color', 'red'],
    attr2: ['size', 'M'],
  },
}

let server = null
let baseUrl = ''
let context = null
let tmpRoot = ''

before(async () => {
  checkPrerequisites()
  tmpRoot = makeTmp()
  const dataDir = path.join(tmpRoot, 'data')
  const profileDir = path.join(tmpRoot, 'chromium-profile')
  fs.mkdirSync(dataDir)
  fs.mkdirSync(profileDir)

  server = await startServer({ port: await freePort(), dataDir, demo: true })
  baseUrl = server.url

  const consoleHtml = await fetch(baseUrl + '/console/')
  assert.equal(consoleHtml.status, 200, 'GET /console/ should serve the console app')
  assert.match(await consoleHtml.text(), /<div id="app">/, 'GET /console/ should return console.html (is web/dist built?)')

  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    timezoneId: 'UTC',
  })
  context.setDefaultTimeout(STEP_TIMEOUT)
})

after(async () => {
  try {
    if (context) await context.close()
  } catch {
    /* ignore */
  }
  context = null
  if (server) await server.stop()
  server = null
  removeTmp(tmpRoot)
})

for (const [lang, L] of Object.entries(LANGS)) {
  test(`console flow in ${lang}`, { timeout: 240_000 }, async () => {
    assert.ok(context, 'browser context was not started')
    await context.clearCookies()
    const page = await context.newPage()
    const pageErrors = []
    page.on('pageerror', (e) => pageErrors.push(e.message))
    await page.addInitScript((l) => localStorage.setItem('sellstream.lang', l), lang)
    const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`
    const skuBase = `E2E-${stamp}-${lang === 'en' ? 'EN' : 'ZH'}`
    const productTitle = L.productTitle(stamp)
    const sessionTitle = L.sessionTitle(stamp)

    try {
      // ---- sign in ----
      await page.goto(baseUrl + '/console/')
      await page.waitForURL(/\/console\/login/)
      await byTestId(page, 'login-title').waitFor()
      assert.equal((await byTestId(page, 'login-title').innerText()).trim(), L.loginTitle)
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang)
      await field(page, 'login-username').fill('operator')
      await field(page, 'login-password').fill('operator-demo')
      await byTestId(page, 'login-submit').click()
      await byTestId(page, 'nav-products').waitFor()
      assert.equal((await byTestId(page, 'nav-products').innerText()).trim(), L.navProducts)
      assert.equal((await byTestId(page, 'nav-sessions').innerText()).trim(), L.navSessions)
      // operator is not admin: no staff/brand menus, but the channels (渠道) they set up
      assert.equal(await byTestId(page, 'nav-staff').count(), 0, 'operator must not see the staff menu')
      assert.equal((await byTestId(page, 'nav-channels').innerText()).trim(), L.navChannels)

      // ---- create a product with two SKUs ----
      await byTestId(page, 'nav-products').click()
      await page.waitForURL(/\/console\/products$/)
      await byTestId(page, 'product-create').click()
      await page.waitForURL(/\/console\/products\/new$/)
      await field(page, 'product-title').fill(productTitle)
      await field(page, 'product-description').fill('E2E ' + stamp)
      await field(page, 'image-url-input').fill('/demo/lipstick.svg')
      await byTestId(page, 'image-add').click()
      await byTestId(page, 'image-list').locator('img').first().waitFor()

      await field(page, 'sku-code-0').fill(skuBase + '-A')
      await field(page, 'sku-attr-key-0-0').fill(L.attr[0])
      await field(page, 'sku-attr-value-0-0').fill(L.attr[1])
      await field(page, 'sku-price-0').fill('129.90')
      await field(page, 'sku-price-0').press('Tab')
      await field(page, 'sku-stock-0').fill('10')
      await field(page, 'sku-stock-0').press('Tab')

      await byTestId(page, 'sku-add').click()
      await field(page, 'sku-code-1').waitFor()
      await field(page, 'sku-code-1').fill(skuBase + '-B')
      await field(page, 'sku-attr-key-1-0').fill(L.attr2[0])
      await field(page, 'sku-attr-value-1-0').fill(L.attr2[1])
      await field(page, 'sku-price-1').fill('99')
      await field(page, 'sku-price-1').press('Tab')
      await field(page, 'sku-stock-1').fill('5')
      await field(page, 'sku-stock-1').press('Tab')
      await page.waitForFunction(() => /¥99\.00 – ¥129\.90/.test(document.querySelector('[data-testid="sku-summary"]')?.textContent ?? ''))

      await byTestId(page, 'product-save').click()
      await page.waitForURL(/\/console\/products(\?.*)?$/)

      // ---- product appears in the list ----
      await field(page, 'product-search').fill(productTitle)
      await field(page, 'product-search').press('Enter')
      const productRow = page.locator('.el-table__row', { hasText: productTitle })
      await productRow.first().waitFor()
      const rowText = await productRow.first().innerText()
      assert.match(rowText, /¥99\.00 – ¥129\.90/, 'price range shown in yuan from fen')
      assert.match(rowText, /\b15\b/, 'total stock 10 + 5')
      const productId = await productRow.first().locator('[data-testid="product-row"]').getAttribute('data-product-id')
      assert.ok(productId, 'product row carries its id')
      await settle(page)
      await shot(page, `products-${lang}.png`)

      // ---- create a session ----
      await byTestId(page, 'nav-sessions').click()
      await page.waitForURL(/\/console\/sessions/)
      await byTestId(page, 'session-create').click()
      await page.waitForURL(/\/console\/sessions\/new$/)
      await field(page, 'session-title').fill(sessionTitle)
      await field(page, 'session-cover').fill('/demo/cover-1.svg')
      await byTestId(page, 'session-save').click()
      await page.waitForURL(/\/console\/sessions\/\d+$/)
      const sessionId = page.url().match(/\/sessions\/(\d+)$/)[1]
      await byTestId(page, 'session-info').waitFor()
      assert.equal((await byTestId(page, 'page-title').innerText()).includes(sessionTitle), true)

      // ---- put the product in the bag ----
      const select = byTestId(page, 'bag-product-select')
      await select.locator('.el-select__wrapper, .el-select').first().click()
      await page.keyboard.type(productTitle, { delay: 5 })
      const option = page.locator('.bag-product-popper .el-select-dropdown__item', { hasText: productTitle })
      await option.first().waitFor()
      await option.first().click()
      await byTestId(page, 'bag-add').click()
      const bagItem = byTestId(page, 'bag-item').filter({ hasText: productTitle })
      await bagItem.first().waitFor()
      assert.equal(await bagItem.first().getAttribute('data-product-id'), productId)
      assert.equal((await bagItem.first().locator('[data-testid="bag-item-position"]').innerText()).trim(), '1')

      // ---- go live ----
      await byTestId(page, 'transition-live').click()
      await page.locator('.el-message-box .el-button--primary').click()
      await page.locator('.page-header [data-testid="state-tag"][data-state="live"]').waitFor()
      assert.equal((await page.locator('.page-header [data-testid="state-tag"]').innerText()).trim(), L.liveLabel)
      assert.equal(await byTestId(page, 'transition-live').count(), 0, 'no Go live once live')
      await byTestId(page, 'transition-ended').waitFor()
      assert.match(await byTestId(page, 'bag-panel').innerText(), new RegExp(L.bagHeading))
      await settle(page)
      await shot(page, `session-${lang}.png`)

      // ---- session appears in the live tab of the list ----
      await byTestId(page, 'nav-sessions').click()
      await page.waitForURL(/\/console\/sessions/)
      await byTestId(page, 'session-tab-live').click()
      await page.waitForURL(/state=live/)
      await field(page, 'session-search').fill(sessionTitle)
      await field(page, 'session-search').press('Enter')
      const sessionRow = page.locator('.el-table__row', { hasText: sessionTitle })
      await sessionRow.first().waitFor()
      assert.match(await sessionRow.first().innerText(), new RegExp(L.liveLabel))

      // ---- the public viewer page (/s/:id leads into the live room) shows the bag ----
      await page.goto(`${baseUrl}/s/${sessionId}`)
      await page.waitForURL(new RegExp(`/live/${sessionId}$`))
      await byTestId(page, 'room-title').waitFor()
      assert.equal((await byTestId(page, 'room-title').innerText()).trim(), sessionTitle)
      await byTestId(page, 'room-live-badge').waitFor()
      await byTestId(page, 'room-bag-button').click()
      await byTestId(page, 'room-bag-item').filter({ hasText: productTitle }).first().waitFor()
      assert.match(await page.locator('body').innerText(), new RegExp(L.bagHeading))
      await page.setViewportSize({ width: 420, height: 900 })
      await shot(page, `viewer-session-${lang}.png`)
      await page.setViewportSize({ width: 1440, height: 900 })

      assert.deepEqual(pageErrors, [], 'no uncaught errors in the page')
    } catch (e) {
      await shot(page, `failure-${lang}.png`).catch(() => undefined)
      if (server) e.message += `\n--- server output (tail) ---\n${server.log().slice(-4000)}`
      throw e
    } finally {
      await page.close()
    }
  })
}
