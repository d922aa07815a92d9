// Browser test of 选平台 (platform choice, docs/platforms.md) and the channels' accounts, against the
// real sellstream server, in zh-CN.
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream node --test tests/e2e/platforms.test.mjs
//
// Starts the demo server. The operator signs in and opens 选平台 from the menu: the page assesses the
// default answers by itself. They answer for a young, entertaining brand with a weak supply chain,
// new hosts and a low budget and press 评估: Douyin ranks first, and the mix is Douyin + Taobao
// (Douyin's supply chain is a heavy gap that Taobao covers). Douyin's total is explained on nine
// lines, one per criterion. The profiles carry their sources and the operator may edit them. On 渠道,
// the own room is listed; the operator gives it an account and audience notes through the edit
// dialog and the row shows them. Screenshots: web/test-results/platforms-*.png.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { byTestId, consoleSignIn, field, newZhContext, settle, shot, sleep, startDemo, stopDemo, until } from './harness.mjs'

const DESKTOP = { width: 1440, height: 900 }
const OPERATOR = ['operator', 'operator-demo']
const ANSWERS = { audience: 'young', brand_style: 'entertaining', supply_chain: 'weak', host_experience: 'new', budget: 'low' }

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

/** The answers the shown result was assessed for, and whether an assessment is running. */
async function resultState(page) {
  const el = byTestId(page, 'platforms-result')
  return { assessed: await el.getAttribute('data-assessed'), pending: await el.getAttribute('data-pending') }
}

test('platforms: answer, assess, the ranking explained, the mix; channels carry their account', { timeout: 180_000 }, async () => {
  const errors = []
  const ctx = await newZhContext(browser, DESKTOP)
  const page = await ctx.newPage()
  page.on('pageerror', (e) => errors.push(e.message))
  await consoleSignIn(page, server.url, ...OPERATOR)
  await byTestId(page, 'nav-platforms').waitFor()
  assert.equal((await byTestId(page, 'nav-platforms').innerText()).trim(), '选平台')

  // ---- the page assesses the default answers by itself ----
  const [firstAssess] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/platforms/assess'),
    byTestId(page, 'nav-platforms').click(),
  ])
  assert.deepEqual(JSON.parse(firstAssess.postData() || '{}'), {
    audience: 'mixed',
    brand_style: 'value',
    supply_chain: 'medium',
    host_experience: 'some',
    budget: 'medium',
  })
  await page.waitForURL(/\/console\/platforms/)
  await byTestId(page, 'platforms-page').waitFor()
  assert.equal((await byTestId(page, 'page-title').innerText()).trim(), '选平台')
  await until('the default answers assessed', 15_000, async () => {
    const s = await resultState(page)
    return s.pending === '0' && s.assessed === 'mixed,value,medium,some,medium' ? s : null
  })
  assert.equal(await byTestId(page, 'platforms-rank-row').count(), 5, 'five platforms ranked')

  // ---- a young, entertaining brand with a weak supply chain, new hosts and a low budget ----
  for (const [q, a] of Object.entries(ANSWERS)) {
    await byTestId(page, `platforms-q-${q}-${a}`).click()
  }
  const [asked, answered] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/platforms/assess'),
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/platforms/assess'),
    byTestId(page, 'platforms-assess').click(),
  ])
  assert.deepEqual(JSON.parse(asked.postData() || '{}'), ANSWERS, 'the answers are sent, no extra weights')
  assert.equal(answered.status(), 200)
  await until('the new answers assessed', 15_000, async () => {
    const s = await resultState(page)
    return s.pending === '0' && s.assessed === Object.values(ANSWERS).join(',') ? s : null
  })

  // Douyin first
  const first = byTestId(page, 'platforms-rank-row').first()
  assert.equal(await first.getAttribute('data-platform'), 'douyin')
  assert.equal(await first.getAttribute('data-rank'), '1')
  assert.match(await first.locator('[data-testid="platforms-rank-total"]').innerText(), /\d+\.\d \/ 100/)

  // the mix: Douyin + Taobao, with the server's reason
  const mix = byTestId(page, 'platforms-mix')
  assert.equal(await mix.getAttribute('data-platforms'), 'douyin,taobao')
  const tags = mix.locator('[data-testid="platforms-mix-platform"]')
  assert.equal(await tags.count(), 2)
  assert.equal(await tags.nth(0).getAttribute('data-platform'), 'douyin')
  assert.equal(await tags.nth(1).getAttribute('data-platform'), 'taobao')
  assert.match(await byTestId(page, 'platforms-mix-why').innerText(), /supply_chain/)

  // Douyin's total explained: one line per criterion
  const douyin = page.locator('[data-testid="platforms-rank-row"][data-platform="douyin"]')
  assert.equal(await douyin.getAttribute('data-expanded'), '0')
  await douyin.locator('[data-testid="platforms-rank-toggle"]').click()
  await douyin.locator('[data-testid="platforms-lines"]').waitFor()
  assert.equal(await douyin.getAttribute('data-expanded'), '1')
  const lines = douyin.locator('[data-testid="platforms-line"]')
  assert.equal(await lines.count(), 9, 'nine explanation lines')
  const chain = douyin.locator('[data-testid="platforms-line"][data-criterion="supply_chain"]')
  assert.equal(await chain.getAttribute('data-weight'), '3', 'a weak supply chain weighs 1 + 2')
  assert.match(await chain.innerText(), /供应链成熟度/)

  // the weights with their reasons
  const chainWeight = page.locator('[data-testid="platforms-weight"][data-criterion="supply_chain"]')
  assert.equal(await chainWeight.getAttribute('data-weight'), '3')

  // the profiles with their sources; the operator may edit them
  await byTestId(page, 'platforms-profile').first().waitFor({ state: 'attached' })
  assert.equal(await byTestId(page, 'platforms-profile').count(), 5, 'five profiles')
  assert.ok((await page.locator('[data-testid="platforms-profile"]:visible [data-testid="platforms-source"]').count()) >= 1, 'the shown profile names a source')
  await byTestId(page, 'platforms-profile-edit').waitFor()
  assert.equal(await byTestId(page, 'platforms-profiles-readonly').count(), 0, 'no read-only note for an operator')
  await settle(page)
  await shot(page, 'platforms-assessed.png')

  // ---- 渠道: the own room, given an account and audience notes ----
  await page.goto(`${server.url}/console/channels`)
  assert.equal((await byTestId(page, 'page-title').innerText()).trim(), '渠道')
  const own = page.locator('[data-testid="channel-name"][data-channel="own"]')
  await own.waitFor()
  assert.equal((await own.innerText()).trim(), '自有直播间')

  await byTestId(page, 'channel-edit-own').click()
  await byTestId(page, 'channel-edit-dialog').waitFor()
  assert.equal(await field(page, 'channel-edit-name').inputValue(), '自有直播间')
  await field(page, 'channel-edit-account').fill('@e2e_brand')
  await field(page, 'channel-edit-notes').fill('25–35 岁女性为主，晚上 8 点后活跃')
  const [saved] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === '/api/v1/channels/own'),
    byTestId(page, 'channel-edit-save').click(),
  ])
  assert.equal(saved.status(), 200, `PUT /channels/own: ${await saved.text()}`)
  await byTestId(page, 'channel-edit-dialog').waitFor({ state: 'hidden' })
  assert.equal((await page.locator('[data-testid="channel-account"][data-channel="own"]').innerText()).trim(), '@e2e_brand')
  assert.match(await page.locator('[data-testid="channel-notes"][data-channel="own"]').innerText(), /晚上 8 点后活跃/)
  assert.equal((await own.innerText()).trim(), '自有直播间', 'the own room keeps its name')
  await settle(page)
  await shot(page, 'platforms-channels.png')

  await ctx.close()
  assert.deepEqual(errors, [], 'no page errors')
})
