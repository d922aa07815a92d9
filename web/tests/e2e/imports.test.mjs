// Browser test of other platforms' data (plan §2.2, §3.2, §9.1: 平台数据导入, 全平台对比, 竞品监测)
// against the real sellstream server, in zh-CN (the import page also in English).
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream node --test tests/e2e/imports.test.mjs
//
// Starts the demo server. The analyst (analyst / analyst-demo) opens 平台数据导入 from the menu and
// picks a Douyin session export the test writes (Chinese headers, two good rows and one whose
// start is day-first, which is refused as ambiguous). 预览 shows the encoding, the field → column
// mapping, the counts and the rejected row with its reason; 导入 with "skip rejected rows"
// answers 201 with two sessions added; the same file again answers 200 "already imported". 全平台
// 对比 shows the Douyin import beside the rows sellstream measured, with the definition mark on
// the imported UV, and the GMV/UV chart. Then 商品数据: a Douyin product export the test writes is
// previewed (the sample lists the products, the mapping dialog edits the product mapping) and
// imported; 全平台对比 按商品 shows the imported product with its exposures, clicks and click rate. 竞品监测: a competitor is added, one observed session is
// entered in its drawer, and the watch chart is drawn with the note that theirs are observations.
// A host (host / host-demo) has no import entry in the menu and is sent to the forbidden page at
// its address. Screenshots (1280 wide): web/test-results/imports-*.png.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { byTestId, consoleSignIn, field, newZhContext, settle, shot, sleep, startDemo, stopDemo } from './harness.mjs'

const VIEW = { width: 1280, height: 900 }
const ANALYST = ['analyst', 'analyst-demo']
const HOST = ['host', 'host-demo']

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

/** "YYYY-MM-DD" in Beijing, `days` ago. */
function beijingDay(days) {
  return new Date(Date.now() + 8 * 3_600_000 - days * 86_400_000).toISOString().slice(0, 10)
}

/** A Douyin session export: two sessions of the last week and a row with a day-first date. */
/** A Douyin product export: two products of one session two days ago. */
function douyinProductsCsv() {
  const d = beijingDay(2)
  return [
    '抖音号,开播时间,商品名称,商品ID,商品曝光次数,商品点击次数,成交件数,成交订单数,成交人数,成交金额,讲解时长',
    `shiguang,${d} 20:00,丝绒哑光口红,3579,1.2万,3400,520,500,480,"¥67,080.00",8分30秒`,
    `shiguang,${d} 20:00,保湿精华,3580,8000,1200,90,88,85,2.3万,5分`,
    '',
  ].join('\n')
}

function douyinCsv() {
  const d1 = beijingDay(5)
  const d2 = beijingDay(3).replaceAll('-', '/')
  const [y, m, d] = beijingDay(4).split('-')
  return [
    '抖音号,直播标题,开播时间,直播时长,累计观看人数,最高在线人数,人均停留时长,直播间成交金额(元),成交订单数,成交人数',
    `shiguang,秋冬新品首发,${d1} 20:00,2小时5分,1.2万,1860,1分35秒,"￥128,500.50",1021,962`,
    `shiguang,宠粉秒杀夜,${d2} 19:30,01:58:00,9876,1203,72,9.8万,820,800`,
    `shiguang,日期写反了,${d}/${m}/${y} 20:00,1小时,5000,800,60,5万,400,390`,
    '',
  ].join('\n')
}

test('imports: preview, import, again; cross-platform; competitor watch; hosts kept out of imports', { timeout: 300_000 }, async () => {
  const errors = []
  const csv = Buffer.from(douyinCsv(), 'utf8')
  const upload = { name: 'douyin-e2e.csv', mimeType: 'text/csv', buffer: csv }

  // ---- the analyst: 平台数据导入 ----
  const ctx = await newZhContext(browser, VIEW)
  const page = await ctx.newPage()
  page.on('pageerror', (e) => errors.push(`analyst: ${e.message}`))
  await consoleSignIn(page, server.url, ...ANALYST)
  for (const [key, label] of [
    ['analytics-cross-platform', '全平台对比'],
    ['analytics-competitors', '竞品监测'],
    ['analytics-imports', '平台数据导入'],
  ]) {
    await byTestId(page, 'nav-' + key).waitFor()
    assert.equal((await byTestId(page, 'nav-' + key).innerText()).trim(), label)
  }
  await byTestId(page, 'nav-analytics-imports').click()
  await page.waitForURL(/\/console\/analytics\/imports$/)
  await byTestId(page, 'imports-history-table').waitFor()
  assert.equal(await byTestId(page, 'imports-import').isDisabled(), true, 'nothing to import before a file is chosen')

  await byTestId(page, 'imports-platform-douyin').click()
  await byTestId(page, 'imports-file').setInputFiles(upload)
  assert.match(await byTestId(page, 'imports-file-name').innerText(), /douyin-e2e\.csv/)
  assert.equal(await byTestId(page, 'imports-import').isDisabled(), true, 'a preview comes first')

  const [pres] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/v1/imports/preview') && r.request().method() === 'POST'),
    byTestId(page, 'imports-preview').click(),
  ])
  assert.equal(pres.status(), 200, `preview: ${await pres.text()}`)
  assert.equal(pres.request().headers()['content-type'], 'application/octet-stream')
  assert.match(pres.url(), /platform=douyin/)
  assert.match(pres.url(), /file_name=douyin-e2e\.csv/)
  const preview = await pres.json()
  assert.equal(preview.valid, 2, JSON.stringify(preview).slice(0, 600))
  assert.equal(preview.rejected.length, 1)
  const panel = byTestId(page, 'imports-preview-panel')
  await panel.waitFor()
  assert.equal((await byTestId(page, 'imports-rows').innerText()).trim(), '3')
  assert.equal((await byTestId(page, 'imports-valid').innerText()).trim(), '2')
  assert.equal((await byTestId(page, 'imports-rejected-count').innerText()).trim(), '1')
  assert.match(await panel.innerText(), /utf-8/i, 'the encoding is shown')
  assert.match(await byTestId(page, 'imports-mapping').innerText(), /观看人数\s*←\s*累计观看人数/)
  const reason = (await byTestId(page, 'imports-reason').first().innerText()).trim()
  assert.equal(reason, preview.rejected[0].errors[0], 'the reason as the server wrote it')
  assert.match(reason, /开播时间/)
  const sample = await byTestId(page, 'imports-sample').innerText()
  assert.match(sample, /¥128,500\.50/, 'money normalised to ¥')
  assert.match(sample, /2小时5分/, 'durations normalised')
  assert.match(sample, new RegExp(beijingDay(5).replaceAll('-', '/') + ' 20:00'), 'the start in Beijing time')
  await settle(page)
  await shot(page, 'imports-preview-zh.png')

  // import, skipping the rejected row
  const skip = byTestId(page, 'imports-skip')
  assert.equal(await skip.locator('input').isDisabled(), false, 'the skip box is offered when rows are rejected')
  await skip.click()
  const [ires] = await Promise.all([
    page.waitForResponse((r) => /\/api\/v1\/imports\?/.test(r.url()) && r.request().method() === 'POST'),
    byTestId(page, 'imports-import').click(),
  ])
  assert.equal(ires.status(), 201, `import: ${await ires.text()}`)
  assert.match(ires.url(), /skip_rejected=true/)
  const record = await ires.json()
  assert.deepEqual([record.added, record.updated, record.rejected, record.already], [2, 0, 1, false])
  await page.locator('[data-testid="imports-result"][data-already="false"]').waitFor()
  assert.match(await byTestId(page, 'imports-result-counts').innerText(), /新增 2 场，更新 0 场/)
  await page.locator('[data-testid="imports-history-table"] .el-table__row', { hasText: 'douyin-e2e.csv' }).first().waitFor()

  // the same file again: nothing changes
  const [again] = await Promise.all([
    page.waitForResponse((r) => /\/api\/v1\/imports\?/.test(r.url()) && r.request().method() === 'POST'),
    byTestId(page, 'imports-import').click(),
  ])
  assert.equal(again.status(), 200, `again: ${await again.text()}`)
  assert.equal((await again.json()).already, true)
  await page.locator('[data-testid="imports-result"][data-already="true"]').waitFor()
  assert.match(await byTestId(page, 'imports-result').innerText(), /此文件已导入过，未做任何更改/)

  // a file over 20 MB is refused in the browser, before any upload
  let uploads = 0
  const count = (r) => {
    if (r.url().includes('/api/v1/imports')) uploads++
  }
  page.on('request', count)
  await byTestId(page, 'imports-file').setInputFiles({ name: 'huge.csv', mimeType: 'text/csv', buffer: Buffer.alloc(20 * 1024 * 1024 + 1, 0x61) })
  await byTestId(page, 'imports-file-error').waitFor()
  assert.match(await byTestId(page, 'imports-file-error').innerText(), /最大 20 MB/)
  await sleep(300)
  page.off('request', count)
  assert.equal(uploads, 0, 'nothing was sent')

  // the history row expands to its report
  const historyRow = page.locator('[data-testid="imports-history-table"] .el-table__row', { hasText: 'douyin-e2e.csv' }).first()
  await historyRow.locator('.el-table__expand-icon').click()
  await byTestId(page, 'imports-report').first().waitFor()
  assert.match(await byTestId(page, 'imports-report').first().innerText(), /开播时间/)

  // ---- 商品数据: a product export ----
  await byTestId(page, 'imports-kind-products').click()
  await byTestId(page, 'imports-file').setInputFiles({ name: 'douyin-products-e2e.csv', mimeType: 'text/csv', buffer: Buffer.from(douyinProductsCsv(), 'utf8') })
  const [ppres] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/v1/imports/preview') && r.request().method() === 'POST'),
    byTestId(page, 'imports-preview').click(),
  ])
  assert.equal(ppres.status(), 200, `products preview: ${await ppres.text()}`)
  assert.match(ppres.url(), /kind=products/)
  const pp = await ppres.json()
  assert.deepEqual([pp.kind, pp.valid, pp.rejected.length], ['products', 2, 0], JSON.stringify(pp).slice(0, 600))
  await page.locator('[data-testid="imports-sample"][data-kind="products"]').waitFor()
  const psample = await byTestId(page, 'imports-sample').innerText()
  assert.match(psample, /丝绒哑光口红/)
  assert.match(psample, /保湿精华/)
  assert.match(psample, /商品曝光次数/, 'the product columns')
  assert.match(psample, /12,000/, '1.2万 exposures normalised')
  assert.match(psample, /¥67,080\.00/)
  assert.match(psample, /8分30秒/, 'the explain time')
  assert.match(await byTestId(page, 'imports-mapping').innerText(), /商品名称\s*←\s*商品名称/)
  await settle(page)
  await shot(page, 'imports-products-preview-zh.png')
  // the mapping dialog edits the product mapping
  const [mres] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/v1/imports/mappings/') && r.request().method() === 'GET'),
    byTestId(page, 'imports-mapping-open').click(),
  ])
  assert.match(mres.url(), /\/imports\/mappings\/douyin\/products$/)
  await page.locator('[data-testid="mapping-dialog"][data-kind="products"]').waitFor()
  await byTestId(page, 'mapping-product').waitFor()
  assert.equal(await byTestId(page, 'mapping-uv').count(), 0, 'no session fields in the product mapping')
  await page.keyboard.press('Escape')
  await byTestId(page, 'mapping-dialog').waitFor({ state: 'hidden' })
  const [pires] = await Promise.all([
    page.waitForResponse((r) => /\/api\/v1\/imports\?/.test(r.url()) && r.request().method() === 'POST'),
    byTestId(page, 'imports-import').click(),
  ])
  assert.equal(pires.status(), 201, `products import: ${await pires.text()}`)
  assert.match(pires.url(), /kind=products/)
  const precord = await pires.json()
  assert.deepEqual([precord.kind, precord.added, precord.rejected], ['products', 2, 0])
  await page.locator('[data-testid="imports-result"][data-already="false"]').waitFor()
  assert.match(await byTestId(page, 'imports-result-counts').innerText(), /新增 2 条商品记录/)

  // ---- 全平台对比 ----
  await byTestId(page, 'nav-analytics-cross-platform').click()
  await page.waitForURL(/\/console\/analytics\/cross-platform$/)
  await page.locator('[data-testid="cross-result"][data-state="done"]').waitFor()
  const imported = page.locator('[data-testid="cross-row"][data-source="import"][data-platform="douyin"]')
  await imported.waitFor()
  assert.ok((await page.locator('[data-testid="cross-row"][data-source="own"]').count()) > 0, 'the rows sellstream measured beside it')
  const importedTr = page.locator('[data-testid="cross-table"] tr', { has: imported }).first()
  assert.match(await importedTr.innerText(), /21,876/, 'the two imported sessions’ viewers summed')
  assert.ok((await importedTr.locator('[data-testid="cross-mark-uv"]').count()) > 0, 'Douyin counts UV differently: marked')
  assert.ok((await importedTr.locator('[data-testid="cross-mark-gmv_fen"]').count()) > 0, 'every platform’s GMV keeps refunds: marked')
  await importedTr.locator('[data-testid="cross-mark-uv"]').hover()
  await page.locator('.el-popper:visible', { hasText: '累计观看人数' }).waitFor()
  await byTestId(page, 'cross-chart').locator('canvas').waitFor()
  await page.mouse.move(5, 5)
  await settle(page)
  await sleep(600)
  await shot(page, 'imports-cross-zh.png')

  // 按商品: the imported product with its own figures
  const [bres] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/v1/analytics/cross-platform') && r.url().includes('by=product')),
    byTestId(page, 'cross-by-product').click(),
  ])
  assert.equal(bres.status(), 200, `by product: ${await bres.text()}`)
  assert.equal((await byTestId(page, 'cross-by-product').innerText()).trim(), '按商品')
  await page.locator('[data-testid="cross-table"][data-by="product"]').waitFor()
  const lip = page.locator('[data-testid="cross-row"][data-source="import"][data-platform="douyin"][data-key="丝绒哑光口红"]')
  await lip.waitFor()
  const lipTr = page.locator('[data-testid="cross-table"] tr', { has: lip }).first()
  const lipText = await lipTr.innerText()
  assert.match(lipText, /12,000/, 'exposures')
  assert.match(lipText, /28\.33%/, 'click rate = 3,400 ÷ 12,000')
  assert.match(lipText, /¥67,080\.00/, 'GMV')
  const head = await page.locator('[data-testid="cross-table"] .el-table__header').first().innerText()
  assert.match(head, /点击率/)
  assert.doesNotMatch(head, /观看人数/, 'no viewers by product')
  await byTestId(page, 'cross-chart').locator('canvas').waitFor()
  await page.mouse.move(5, 5)
  await sleep(600)
  await shot(page, 'imports-cross-product-zh.png')

  // ---- 竞品监测 ----
  await byTestId(page, 'nav-analytics-competitors').click()
  await page.waitForURL(/\/console\/analytics\/competitors$/)
  await byTestId(page, 'competitor-new').click()
  await byTestId(page, 'competitor-dialog').waitFor()
  await field(page, 'competitor-name').fill('竞品A')
  await field(page, 'competitor-brand').fill('某美妆')
  await field(page, 'competitor-room').fill('rival_beauty')
  await field(page, 'competitor-category').fill('美妆')
  const [cres] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/competitors') && r.request().method() === 'POST'),
    byTestId(page, 'competitor-save').click(),
  ])
  assert.equal(cres.status(), 201, `create: ${await cres.text()}`)
  const competitor = await cres.json()
  const drawer = byTestId(page, 'competitor-drawer')
  await drawer.locator('[data-testid="obs-new"]').waitFor()
  await byTestId(page, 'obs-new').click()
  await field(page, 'obs-title').fill('双11预热')
  await field(page, 'obs-uv').fill('8000')
  await field(page, 'obs-pcu').fill('900')
  await field(page, 'obs-gmv').fill('50000')
  await field(page, 'obs-orders').fill('400')
  await field(page, 'obs-orders').press('Tab')
  const [ores] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/api/v1/competitors/${competitor.id}/sessions`) && r.request().method() === 'POST'),
    byTestId(page, 'obs-save').click(),
  ])
  assert.equal(ores.status(), 201, `observe: ${await ores.text()}`)
  const sent = JSON.parse(ores.request().postData() || '{}')
  assert.deepEqual([sent.uv, sent.pcu, sent.gmv_fen, sent.orders], [8000, 900, 5_000_000, 400])
  await drawer.locator('[data-testid="obs-table"] .el-table__row', { hasText: '双11预热' }).waitFor()
  assert.match(await byTestId(page, 'obs-table').innerText(), /¥125\.00/, 'GMV ÷ orders stands in for the average price')
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'hidden' })
  await page.locator('[data-testid="competitor-observations"]', { hasText: '1' }).waitFor()
  await page.locator('[data-testid="watch-result"][data-state="done"]').waitFor()
  await byTestId(page, 'watch-chart').locator('canvas').waitFor()
  assert.match(await byTestId(page, 'watch-note').innerText(), /观测值.*实测值/)
  assert.match(await byTestId(page, 'watch-table').innerText(), /竞品A/)
  assert.match(await byTestId(page, 'watch-table').innerText(), /8,000/)
  await byTestId(page, 'watch-metric-gmv').click()
  assert.match(await byTestId(page, 'watch-table').innerText(), /¥50,000\.00/)
  await settle(page)
  await sleep(600)
  await shot(page, 'imports-competitors-zh.png')

  // ---- the import page in English ----
  await byTestId(page, 'nav-analytics-imports').click()
  await page.waitForURL(/\/console\/analytics\/imports$/)
  await byTestId(page, 'lang-en').click()
  await page.waitForFunction(() => document.documentElement.lang === 'en')
  assert.equal((await byTestId(page, 'nav-analytics-imports').innerText()).trim(), 'Platform data import')
  await byTestId(page, 'imports-file').setInputFiles(upload)
  await byTestId(page, 'imports-preview').click()
  await byTestId(page, 'imports-imported-before').waitFor()
  assert.match(await byTestId(page, 'imports-imported-before').innerText(), /imported before/)
  await settle(page)
  await shot(page, 'imports-preview-en.png')
  await byTestId(page, 'lang-zh-CN').click()
  await ctx.close()

  // ---- a host: reads the comparison, not the imports ----
  const hctx = await newZhContext(browser, VIEW)
  const hp = await hctx.newPage()
  hp.on('pageerror', (e) => errors.push(`host: ${e.message}`))
  await consoleSignIn(hp, server.url, ...HOST)
  await byTestId(hp, 'nav-analytics-cross-platform').waitFor()
  assert.equal(await byTestId(hp, 'nav-analytics-imports').count(), 0, 'no import entry for a host')
  await hp.goto(`${server.url}/console/analytics/imports`)
  await byTestId(hp, 'forbidden').waitFor()
  await hp.waitForURL(/\/console\/forbidden/)
  await byTestId(hp, 'nav-analytics-competitors').click()
  await hp.locator('[data-testid="competitor-table"] .el-table__row', { hasText: '竞品A' }).waitFor()
  assert.equal(await byTestId(hp, 'competitor-new').count(), 0, 'a host reads the watch list but does not add to it')
  await hctx.close()

  assert.deepEqual(errors, [], 'no uncaught page errors')
})
