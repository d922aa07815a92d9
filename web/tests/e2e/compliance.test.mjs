// Browser test of 合规检查 (the advertising-law check) against the real sellstream server, in zh-CN.
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream node --test tests/e2e/compliance.test.mjs
//
// Starts the demo server. The admin signs in to the console and opens 合规检查 from the menu, types
// a script with 全网最低价 and 国宴专用: it is checked by itself (no button), the flagged words are
// highlighted in the text (a highlight shows its rule on hover) and listed, and the banner says
// 存在违规用语. Applying the rewrite of 最低价 (直播间专享价) changes exactly those words in the
// textarea and the re-check finds less. The rules tab lists the starter rules (内置), the scan tab
// says how much published wording it read. An analyst sees the page too, the rules read-only.
// Screenshots: web/test-results/compliance-*.png.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { byTestId, consoleSignIn, field, newZhContext, settle, shot, sleep, startDemo, stopDemo, until } from './harness.mjs'

const DESKTOP = { width: 1440, height: 900 }
const ADMIN = ['admin', 'admin-demo']
const ANALYST = ['analyst', 'analyst-demo']
const SCRIPT = '宝宝们看过来，这款茶叶今天全网最低价，国宴专用的好品质，喜欢的赶紧下单！'

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

/** The check's state as the page shows it: a check running or due, the number of hits, the verdict. */
async function checkState(page) {
  const el = byTestId(page, 'compliance-result')
  return {
    pending: await el.getAttribute('data-pending'),
    hits: Number((await el.getAttribute('data-hits')) || 0),
    verdict: await el.getAttribute('data-verdict'),
    text: await field(page, 'compliance-text').inputValue(),
  }
}

test('compliance: check a script, apply a rewrite, rules, scan', { timeout: 180_000 }, async () => {
  const errors = []
  const ctx = await newZhContext(browser, DESKTOP)
  const page = await ctx.newPage()
  page.on('pageerror', (e) => errors.push(`admin: ${e.message}`))
  await consoleSignIn(page, server.url, ...ADMIN)
  await byTestId(page, 'nav-compliance').waitFor()
  assert.equal((await byTestId(page, 'nav-compliance').innerText()).trim(), '合规检查')
  await byTestId(page, 'nav-compliance').click()
  await page.waitForURL(/\/console\/compliance/)
  await byTestId(page, 'compliance-page').waitFor()
  assert.equal((await byTestId(page, 'page-title').innerText()).trim(), '合规检查')

  // ---- check a script: checked by itself once typing stops ----
  const [asked] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/compliance/check'),
    field(page, 'compliance-text').fill(SCRIPT),
  ])
  assert.equal(JSON.parse(asked.postData() || '{}').text, SCRIPT, 'the whole text is sent')
  assert.match(await byTestId(page, 'compliance-count').innerText(), new RegExp(`^${SCRIPT.length} / 100,000`), 'the character count and the limit')

  const first = await until('the script checked, with hits', 15_000, async () => {
    const s = await checkState(page)
    return s.pending === '0' && s.verdict && s.hits > 0 ? s : null
  })
  assert.ok(first.hits >= 2, `at least two hits (最低价, 国宴专用): ${JSON.stringify(first)}`)
  assert.equal(first.verdict, 'block')

  // highlighted in place: 最低价 (also inside the price rule's 全网最低价) and 国宴专用
  const marks = byTestId(page, 'compliance-mark')
  assert.ok((await marks.count()) >= 2, 'at least two highlights')
  const markTexts = await marks.allInnerTexts()
  assert.ok(markTexts.some((t) => t.includes('最低价')), `最低价 is highlighted: ${markTexts}`)
  assert.ok(markTexts.some((t) => t.includes('国宴')), `国宴专用 is highlighted: ${markTexts}`)
  assert.equal(await page.locator('[data-testid="compliance-mark"][data-severity="block"]').filter({ hasText: '国宴' }).count(), 1, '国宴专用 is marked as must-change')
  // the highlighted text is the script itself
  assert.equal((await byTestId(page, 'compliance-preview').innerText()).trim(), SCRIPT)

  // the banner
  const banner = byTestId(page, 'compliance-verdict')
  assert.equal(await banner.getAttribute('data-verdict'), 'block')
  assert.match(await banner.innerText(), /存在违规用语/)

  // a highlight shows its rule: hover 国宴专用
  await page.locator('[data-testid="compliance-mark"]', { hasText: '国宴' }).first().hover()
  const pop = page.locator('[data-testid="compliance-pop"]')
  await pop.waitFor()
  assert.match(await pop.innerText(), /广告法/)
  await shot(page, 'compliance-check.png')

  // ---- apply the rewrite of 最低价 ----
  const hit = page.locator('[data-testid="compliance-hit"][data-rule="absolute-zui"]').filter({ hasText: '直播间专享价' }).first()
  await hit.waitFor()
  assert.equal(await hit.getAttribute('data-text'), '最低价')
  assert.equal((await hit.locator('[data-testid="compliance-hit-replacement"]').innerText()).trim(), '直播间专享价')
  await hit.locator('[data-testid="compliance-hit-apply"]').click()

  const second = await until('the rewrite applied and checked again', 15_000, async () => {
    const s = await checkState(page)
    return s.pending === '0' && s.text.includes('直播间专享价') && s.hits < first.hits ? s : null
  })
  assert.equal(second.text, SCRIPT.replace('最低价', '直播间专享价'), 'exactly the flagged words were replaced')
  assert.ok(second.hits >= 1, '国宴专用 is still flagged')
  assert.equal(await page.locator('[data-testid="compliance-mark"]').filter({ hasText: '最低价' }).count(), 0, '最低价 is gone')
  await settle(page)
  await shot(page, 'compliance-applied.png')

  // ---- the rules: the starter set, built in ----
  await byTestId(page, 'compliance-tab-rules').click()
  await page.waitForURL(/[?&]tab=rules/)
  await byTestId(page, 'compliance-rule-row').first().waitFor()
  const starterRows = await page.locator('[data-testid="compliance-rule-row"][data-starter="1"]').count()
  assert.ok(starterRows >= 10, `at least 10 starter rules: ${starterRows}`)
  const badges = byTestId(page, 'compliance-rule-starter')
  assert.ok((await badges.count()) >= 10, 'each starter rule has its badge')
  assert.equal((await badges.first().innerText()).trim(), '内置')
  await byTestId(page, 'compliance-rule-add').waitFor()
  assert.equal(await byTestId(page, 'compliance-rule-delete').count(), 0, 'starter rules cannot be deleted')
  await shot(page, 'compliance-rules.png')

  // ---- the scan of what is published ----
  const [scanned] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/compliance/scan'),
    byTestId(page, 'compliance-tab-scan').click(),
  ])
  assert.equal(scanned.status(), 200)
  const scanBody = await scanned.json()
  const summary = byTestId(page, 'compliance-scan-summary')
  await summary.waitFor()
  assert.equal(await summary.getAttribute('data-checked'), String(scanBody.checked))
  assert.match(await summary.innerText(), new RegExp(`已检查 ${scanBody.checked.toLocaleString('en-US')} 段文案`))
  assert.ok(scanBody.checked > 0, 'the demo has published wording')
  if (scanBody.findings.length) {
    await byTestId(page, 'compliance-finding').first().waitFor()
    assert.equal(await byTestId(page, 'compliance-finding').count(), scanBody.findings.length)
  } else {
    await byTestId(page, 'compliance-scan-empty').waitFor()
  }
  await shot(page, 'compliance-scan.png')

  // ---- an analyst: the page, the rules read-only ----
  const actx = await newZhContext(browser, DESKTOP)
  const apage = await actx.newPage()
  apage.on('pageerror', (e) => errors.push(`analyst: ${e.message}`))
  await consoleSignIn(apage, server.url, ...ANALYST)
  await byTestId(apage, 'nav-compliance').waitFor()
  await apage.goto(`${server.url}/console/compliance?tab=rules`)
  await byTestId(apage, 'compliance-rule-row').first().waitFor()
  await byTestId(apage, 'compliance-rules-readonly').waitFor()
  assert.equal(await byTestId(apage, 'compliance-rule-add').count(), 0, 'no add button for an analyst')
  assert.equal(await byTestId(apage, 'compliance-rule-enabled').count(), 0, 'no switches for an analyst')
  assert.equal(await byTestId(apage, 'compliance-rule-edit').count(), 0, 'no edit for an analyst')

  await actx.close()
  await ctx.close()
  assert.deepEqual(errors, [], 'no page errors')
})
