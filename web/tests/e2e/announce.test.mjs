// Browser test of pre-announcements (直播预告) and notifications against the real sellstream server,
// in zh-CN.
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream node --test tests/e2e/announce.test.mjs
//
// Starts the demo server: 春季新品首发 · 轻运动穿搭 is scheduled for tomorrow with two tracking links
// (微信群 clicked three times and 小红书), and the demo customer asked to be reminded through 微信群.
// The admin opens the session's page: the promotion card lists the links, a link 微博 is added, the
// poster (750 × 1334) shows its QR code and downloads as PNG. A viewer on a phone opens the new
// link's short address and lands on the pre-announcement (countdown, products, remind button);
// reminding sends a guest to sign in as a customer registered through the API, who comes back
// reminded (已预约); the console's link row then has the reminder. The admin adds a webhook pointing
// at a small HTTP server of this test (its secret shown once), pings it, and the session goes live:
// the webhook hears session.started with a valid signature, the viewer's page turns into the live
// room, the customer's 我的 page has 开播了：…, and the outbox lists the webhook's delivery as sent.
// Screenshots: web/test-results/announce-*.png.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { RESULTS_DIR, byTestId, consoleSignIn, field, freePort, newZhContext, settle, shot, startDemo, stopDemo, until } from './harness.mjs'

const DESKTOP = { width: 1440, height: 900 }
const PHONE = { width: 390, height: 844 }
const ADMIN = ['admin', 'admin-demo']
const LAUNCH = '春季新品首发 · 轻运动穿搭'
const NEW_LABEL = '微博'
const VIEWER = { phone: '13900000077', nickname: '预约小王', password: 'remind-pass-0077' }

let server = null
let browser = null
let tmpRoot = ''
let hook = null

/** A webhook receiver on 127.0.0.1 that records every request (headers and raw body). */
async function startReceiver() {
  const port = await freePort()
  const requests = []
  const srv = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() })
      res.writeHead(204)
      res.end()
    })
  })
  await new Promise((resolve) => srv.listen(port, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${port}/hooks/sellstream`, requests, close: () => new Promise((r) => srv.close(r)) }
}

/** Checks `X-Sellstream-Signature: t=<unix>,v1=<hex>` over the raw body with the secret. */
function verifySignature(header, body, secret) {
  const parts = Object.fromEntries(String(header ?? '').split(',').map((kv) => kv.split('=', 2)))
  assert.match(parts.t ?? '', /^\d+$/, `a timestamp in ${header}`)
  assert.match(parts.v1 ?? '', /^[0-9a-f]{64}$/, `a hex HMAC-SHA256 in ${header}`)
  assert.ok(Math.abs(Date.now() / 1000 - Number(parts.t)) < 300, 'signed within five minutes')
  const want = crypto.createHmac('sha256', secret).update(`${parts.t}.${body}`).digest()
  const got = Buffer.from(parts.v1, 'hex')
  assert.ok(got.length === want.length && crypto.timingSafeEqual(got, want), 'the signature matches the body and the secret')
}

/** Width and height of a PNG from its IHDR chunk. */
function pngSize(buf) {
  assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG file')
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) }
}

before(async () => {
  ;({ server, browser, tmpRoot } = await startDemo())
  hook = await startReceiver()
})

after(async () => {
  if (hook) await hook.close()
  await stopDemo({ server, browser, tmpRoot })
  browser = null
  server = null
})

test('pre-announcement: links and poster, remind me, a signed webhook and the inbox at the start', { timeout: 300_000 }, async () => {
  const errors = []
  const octx = await newZhContext(browser, DESKTOP)
  const op = await octx.newPage()
  op.on('pageerror', (e) => errors.push(`console: ${e.message}`))

  const call = async (method, p, data) => {
    const res = await octx.request.fetch(server.url + p, { method, data })
    const body = await res.text()
    assert.ok(res.status() < 300, `${method} ${p}: ${res.status()} ${body}`)
    return body ? JSON.parse(body) : null
  }

  await consoleSignIn(op, server.url, ...ADMIN)
  await byTestId(op, 'nav-notifications').waitFor()
  assert.equal((await byTestId(op, 'nav-notifications').innerText()).trim(), '通知与 Webhook', 'on the menu')

  const launch = (await call('GET', '/api/v1/sessions?state=scheduled&per_page=100')).items.find((s) => s.title === LAUNCH)
  assert.ok(launch, 'the demo announces the launch')
  assert.ok(Date.parse(launch.scheduled_start) > Date.now(), 'still to come')

  // ---- the promotion card: the demo's links ----
  await op.goto(`${server.url}/console/sessions/${launch.id}`)
  const panel = byTestId(op, 'promo-panel')
  await panel.waitFor()
  const row = (label) => op.locator(`[data-testid="promo-link"][data-label="${label}"]`)
  await row('微信群').waitFor()
  assert.ok(Number(await row('微信群').getAttribute('data-clicks')) >= 3, 'the WeChat group link was clicked three times')
  assert.equal(await row('微信群').getAttribute('data-reminders'), '1', 'and brought the demo customer’s reminder')
  await row('小红书').waitFor()
  assert.equal(await byTestId(op, 'promo-reminders').getAttribute('data-count'), '1', 'one reminder in all')
  const wechatUrl = await op.locator('tr', { has: row('微信群') }).locator('[data-testid="promo-link-url"]').innerText()
  assert.match(wechatUrl, new RegExp(`^${server.url.replace(/[.]/g, '\\.')}/p/[23456789a-z]{8}$`), 'a short address on this origin')

  // ---- a link for Weibo; the poster shows its QR code ----
  await field(op, 'promo-link-label').fill(NEW_LABEL)
  await byTestId(op, 'promo-link-add').click()
  await row(NEW_LABEL).waitFor()
  const code = await row(NEW_LABEL).getAttribute('data-code')
  assert.match(code, /^[23456789a-z]{8}$/)
  assert.equal(await row(NEW_LABEL).getAttribute('data-clicks'), '0')
  await op.locator(`[data-testid="promo-poster"][data-code="${code}"][data-state="ready"]`).waitFor()
  const natural = await byTestId(op, 'promo-poster-img').evaluate((img) => ({ w: img.naturalWidth, h: img.naturalHeight }))
  assert.deepEqual(natural, { w: 750, h: 1334 }, 'the poster is 750 × 1334')

  const [download] = await Promise.all([op.waitForEvent('download'), byTestId(op, 'promo-poster-png').click()])
  assert.equal(download.suggestedFilename(), `poster-${launch.id}-${NEW_LABEL}.png`)
  const pngPath = path.join(RESULTS_DIR, 'announce-poster.png')
  await download.saveAs(pngPath)
  assert.deepEqual(pngSize(fs.readFileSync(pngPath)), { width: 750, height: 1334 }, 'the PNG is drawn at the poster’s size')
  await op.locator('[data-testid="promo-panel"]:not([data-png=""])').waitFor()
  await settle(op)
  await shot(op, 'announce-promotion.png')

  // ---- a viewer opens the Weibo link on a phone ----
  const reg = await fetch(server.url + '/api/v1/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(VIEWER) })
  assert.equal(reg.status, 201, `register: ${reg.status} ${await reg.text()}`)
  const vctx = await newZhContext(browser, PHONE)
  const viewer = await vctx.newPage()
  viewer.on('pageerror', (e) => errors.push(`viewer: ${e.message}`))
  await viewer.goto(`${server.url}/p/${code}`)
  await viewer.waitForURL(new RegExp(`/live/${launch.id}\\?src=${code}$`))
  const pre = byTestId(viewer, 'pre-announce')
  await pre.waitFor()
  assert.equal(await byTestId(viewer, 'pre-title').innerText(), LAUNCH)
  const left = Number(await byTestId(viewer, 'pre-countdown').getAttribute('data-left'))
  const expected = (Date.parse(launch.scheduled_start) - Date.now()) / 1000
  assert.ok(Math.abs(left - expected) < 10, `the countdown runs to the start (${left} s, expected about ${Math.round(expected)} s)`)
  if (expected >= 86_400) await byTestId(viewer, 'pre-countdown-days').waitFor()
  assert.ok((await byTestId(viewer, 'pre-product').count()) >= 1, 'the bag’s products')
  assert.equal(await byTestId(viewer, 'pre-reminders').getAttribute('data-count'), '1', 'one person asked already')
  await byTestId(viewer, 'pre-remind').waitFor()
  await viewer.waitForTimeout(1200)
  await shot(viewer, 'announce-viewer.png', { fullPage: false })
  assert.equal(await row(NEW_LABEL).count(), 1)

  // ---- remind me: sign in first, come back reminded ----
  await byTestId(viewer, 'pre-remind').click()
  await viewer.waitForURL(/\/login\?redirect=/)
  await field(viewer, 'viewer-login').fill(VIEWER.phone)
  await field(viewer, 'viewer-password').fill(VIEWER.password)
  await byTestId(viewer, 'viewer-login-submit').click()
  await viewer.waitForURL(new RegExp(`/live/${launch.id}\\?`))
  await byTestId(viewer, 'pre-reminded').waitFor()
  assert.match(await byTestId(viewer, 'pre-reminded').innerText(), /已预约/)
  assert.equal(await byTestId(viewer, 'pre-reminders').getAttribute('data-count'), '2', 'two now')
  await until('the address loses remind=1', 5000, () => !viewer.url().includes('remind='))
  assert.ok(viewer.url().includes(`src=${code}`), 'and keeps the link')
  await viewer.waitForTimeout(2200) // the success toast goes
  await shot(viewer, 'announce-viewer-reminded.png', { fullPage: false })

  // the console credits the Weibo link with the click and the reminder
  await op.reload()
  await row(NEW_LABEL).waitFor()
  assert.equal(await row(NEW_LABEL).getAttribute('data-reminders'), '1', 'the reminder came through 微博')
  assert.equal(await row(NEW_LABEL).getAttribute('data-clicks'), '1', 'after one click')
  assert.equal(await byTestId(op, 'promo-reminders').getAttribute('data-count'), '2')

  // ---- a webhook: the secret once, a ping ----
  await byTestId(op, 'nav-notifications').click()
  await op.waitForURL(/\/console\/notifications/)
  await byTestId(op, 'webhooks-panel').waitFor()
  await field(op, 'webhook-url').fill(hook.url)
  await byTestId(op, 'webhook-add').click()
  const dialog = byTestId(op, 'webhook-secret-dialog')
  await dialog.waitFor()
  const secret = await field(op, 'webhook-secret-full').inputValue()
  assert.match(secret, /^[a-z0-9]{32}$/, 'the full secret, once')
  await byTestId(op, 'webhook-secret-done').click()
  await dialog.waitFor({ state: 'hidden' })
  const hookRow = op.locator(`[data-testid="webhook-row"][data-url="${hook.url}"]`)
  await hookRow.waitFor()
  const masked = await op.locator('tr', { has: hookRow }).locator('[data-testid="webhook-secret"]').innerText()
  assert.ok(masked.endsWith('…') && !masked.includes(secret), `the list masks it (${masked})`)

  await op.locator('tr', { has: hookRow }).locator('[data-testid="webhook-ping"]').click()
  const ping = await until('the ping reaches the receiver', 20_000, () => hook.requests.find((r) => r.headers['x-sellstream-event'] === 'ping'))
  verifySignature(ping.headers['x-sellstream-signature'], ping.body, secret)

  // ---- the session goes live ----
  const live = await call('POST', `/api/v1/sessions/${launch.id}/transition`, { to: 'live' })
  assert.equal(live.state, 'live')
  const started = await until('session.started reaches the webhook', 30_000, () => hook.requests.find((r) => r.headers['x-sellstream-event'] === 'session.started'))
  assert.equal(started.method, 'POST')
  assert.match(started.headers['x-sellstream-delivery'] ?? '', /^\d+$/, 'a delivery id')
  verifySignature(started.headers['x-sellstream-signature'], started.body, secret)
  const payload = JSON.parse(started.body)
  assert.equal(payload.event, 'session.started')
  assert.equal(payload.session.id, launch.id)
  assert.equal(payload.session.title, LAUNCH)

  // the viewer's page turns into the live room
  await viewer.locator('[data-testid="live-room"][data-status="live"]').waitFor()
  await pre.waitFor({ state: 'hidden' })
  await byTestId(viewer, 'room-live-badge').waitFor()

  // the customer's inbox: 开播了：…
  await viewer.goto(`${server.url}/me`)
  const note = viewer.locator('[data-testid="me-note"]', { hasText: `开播了：${LAUNCH}` })
  await until('the in-app notification', 20_000, async () => {
    if (await note.count()) return true
    await viewer.reload()
    await byTestId(viewer, 'me-inbox').waitFor()
    await viewer.waitForTimeout(400)
    return (await note.count()) > 0
  })
  assert.equal(await note.getAttribute('data-read'), '0', 'unread')
  await note.locator('[data-testid="me-note-dot"]').waitFor()
  assert.equal(await byTestId(viewer, 'me-inbox').getAttribute('data-unread'), '1')
  assert.equal(await viewer.locator(`[data-testid="me-reminder"][data-session="${launch.id}"]`).count(), 1, 'the reminder is listed')
  await shot(viewer, 'announce-me.png')
  await note.click()
  await viewer.waitForURL(new RegExp(`/live/${launch.id}$`))
  await viewer.locator('[data-testid="live-room"][data-status="live"]').waitFor()
  await viewer.goto(`${server.url}/me`)
  await viewer.locator('[data-testid="me-note"][data-read="1"]', { hasText: `开播了：${LAUNCH}` }).waitFor()
  assert.equal(await byTestId(viewer, 'me-inbox').getAttribute('data-unread'), '0', 'read once opened')

  // ---- the outbox: the webhook's delivery sent ----
  await op.reload()
  await byTestId(op, 'outbox-panel').waitFor()
  const sentRow = op.locator('[data-testid="outbox-row"][data-topic="session.started"][data-channel="webhook"]')
  await sentRow.waitFor()
  assert.equal(await sentRow.getAttribute('data-state'), 'sent')
  assert.equal((await op.locator('tr', { has: sentRow }).locator('[data-testid="outbox-state-tag"]').innerText()).trim(), '已发送')
  await op.locator('[data-testid="outbox-row"][data-topic="session.started"][data-channel="in_app"][data-state="sent"]').first().waitFor()
  // filtered by channel: webhooks only
  await byTestId(op, 'outbox-channel').click()
  await op.locator('.el-select-dropdown__item:visible', { hasText: 'Webhook' }).click()
  await until('only webhook rows', 10_000, async () => {
    const channels = await op.locator('[data-testid="outbox-row"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-channel')))
    return channels.length >= 2 && channels.every((c) => c === 'webhook')
  })
  await settle(op)
  await shot(op, 'announce-outbox.png')

  assert.deepEqual(errors, [], 'no page errors')
  await vctx.close()
  await octx.close()
})
