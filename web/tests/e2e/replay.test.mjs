// Browser test of a session's replay against the real sellstream server, in zh-CN.
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream npm run test:e2e
//
// Needs nginx with the RTMP module (Debian: nginx libnginx-mod-rtmp) and ffmpeg; without them the
// test is skipped, unless SELLSTREAM_TEST_REQUIRE_MEDIA is set (CI), where it fails. Starts the
// server with --demo and --media (RTMP, HLS on free ports). The operator creates a stream key for
// the demo's live session and ffmpeg publishes ~8 s of test pattern with it; while it streams the
// operator pins a bag product (a room command over the WebSocket), which makes a chapter. Once
// nginx's recording is kept, the public replay lists it with the chapter; a signed-in customer's
// phone-sized replay page shows the "回放" badge (no LIVE badge), the session title and the
// chapter with the product's title and time; tapping the chapter (and the mark on the timeline)
// seeks the <video> there; "去购买" opens the buying sheet for that product. Screenshots:
// web/test-results/replay-*.png.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { byTestId, customerSignIn, freePort, mediaMissing, newZhContext, publishTestPattern, shot, skipWithoutMedia, sleep, startDemo, stopDemo, until } from './harness.mjs'

const PHONE = { width: 390, height: 844 }
const OPERATOR = { login: 'operator', password: 'operator-demo' }
const CUSTOMER = { login: '13800000001', password: 'customer-demo' }
const PUBLISH_S = 8
const skipWhy = mediaMissing()

let server = null
let browser = null
let tmpRoot = ''
let rtmpPort = 0
let encoder = null

before(async () => {
  if (skipWhy) return
  rtmpPort = await freePort()
  const hlsPort = await freePort()
  const extraArgs = ['--media', '--rtmp-port', String(rtmpPort), '--rtmp-host', '127.0.0.1', '--hls-port', String(hlsPort)]
  ;({ server, browser, tmpRoot } = await startDemo({ extraArgs }))
})

after(async () => {
  if (encoder && encoder.exitCode === null && encoder.signalCode === null) encoder.kill('SIGKILL')
  await stopDemo({ server, browser, tmpRoot })
  browser = null
  server = null
})

/** Publishes `seconds` of test pattern and tone to `url` in real time. */
const publish = (url, seconds) => publishTestPattern(url, seconds)

const videoTime = (page) => page.evaluate(() => document.querySelector('[data-testid="replay-video"]')?.currentTime ?? null)

/** Waits until the replay's <video> is at `offsetMs` (give or take what playing on adds). */
async function atChapter(page, offsetMs, what) {
  const want = offsetMs / 1000
  await page
    .waitForFunction(
      (w) => {
        const v = document.querySelector('[data-testid="replay-video"]')
        return !!v && v.currentTime >= w - 0.6 && v.currentTime <= w + 2.5
      },
      want,
      { timeout: 10_000 },
    )
    .catch(async () => assert.fail(`${what}: currentTime ${await videoTime(page)}, wanted about ${want}`))
}

test('replay: a recording with a product chapter, seek to it, buy from it', { timeout: 300_000 }, async (t) => {
  if (skipWithoutMedia(t, 'the replay')) return
  assert.ok(server && browser, 'server or browser was not started')
  const errors = []

  // ---- the operator, through the API: a stream key for the live demo session ----
  const octx = await browser.newContext()
  const login = await octx.request.post(server.url + '/api/v1/auth/login', { data: OPERATOR })
  assert.equal(login.status(), 200, `operator login: ${login.status()} ${await login.text()}`)
  const list = await (await octx.request.get(server.url + '/api/v1/public/sessions')).json()
  const session = list.items.find((s) => s.state === 'live')
  assert.ok(session, 'the demo has a live session')
  const pub = await (await octx.request.get(`${server.url}/api/v1/public/sessions/${session.id}`)).json()
  const item = pub.bag[1] ?? pub.bag[0]
  assert.ok(item, 'the live session has products in its bag')
  const product = item.product
  const keyUrl = `${server.url}/api/v1/sessions/${session.id}/stream-key`
  const issued = await octx.request.post(keyUrl)
  assert.equal(issued.status(), 201, `POST stream-key: ${issued.status()} ${await issued.text()}`)
  const { key } = await issued.json()

  const empty = await (await octx.request.get(`${server.url}/api/v1/public/sessions/${session.id}/replay`)).json()
  assert.deepEqual(empty.recordings, [], 'no recordings before anyone published')

  // ---- ffmpeg publishes ~8 s; a few seconds in, the operator pins the product ----
  encoder = publish(`rtmp://127.0.0.1:${rtmpPort}/live/${key}`, PUBLISH_S)
  await until('the key reports publishing', 15_000, async () => {
    if (encoder.proc.exitCode !== null) assert.fail(`ffmpeg exited early (${encoder.proc.exitCode}):\n${encoder.log()}`)
    const s = await (await octx.request.get(keyUrl)).json()
    return s.publishing
  })
  await sleep(2500)
  // pinning is a room command: the operator's page (same origin, their cookie) sends it
  const opPage = await octx.newPage()
  opPage.on('pageerror', (e) => errors.push(`operator: ${e.message}`))
  await opPage.goto(server.url + '/healthz')
  const pinned = await opPage.evaluate(
    ({ sessionId, productId }) =>
      new Promise((resolve) => {
        const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/ws/rooms/' + sessionId)
        const done = (v) => {
          ws.close()
          resolve(v)
        }
        const timer = setTimeout(() => done({ error: 'no pin event within 10 s' }), 10_000)
        ws.onmessage = (m) => {
          const f = JSON.parse(m.data)
          if (f.t === 'snapshot') ws.send(JSON.stringify({ t: 'pin', product: productId, ref: 1 }))
          else if (f.t === 'error') {
            clearTimeout(timer)
            done({ error: `${f.code}: ${f.message}` })
          } else if (f.t === 'batch' && (f.events ?? []).some((e) => e.k === 'pin' && e.product === productId)) {
            clearTimeout(timer)
            done({ ok: true })
          }
        }
        ws.onerror = () => done({ error: 'the room WebSocket failed' })
      }),
    { sessionId: session.id, productId: product.id },
  )
  assert.deepEqual(pinned, { ok: true }, 'the operator pinned the product')
  await opPage.close()

  const ended = await Promise.race([encoder.exited, sleep(PUBLISH_S * 1000 + 20_000).then(() => null)])
  assert.ok(ended, `ffmpeg still runs ${PUBLISH_S + 20} s after it started`)
  assert.equal(ended.code, 0, `ffmpeg published ${PUBLISH_S} s (exit ${ended.code}):\n${encoder.log()}`)

  // ---- the recording is kept, with the chapter ----
  const replay = await until('the replay lists the recording and the chapter', 45_000, async () => {
    const r = await (await octx.request.get(`${server.url}/api/v1/public/sessions/${session.id}/replay`)).json()
    return r.recordings.length && r.chapters.length ? r : null
  })
  const rec = replay.recordings[0]
  const chapter = replay.chapters.find((c) => c.product_id === product.id)
  assert.ok(chapter, `a chapter for product ${product.id}: ${JSON.stringify(replay.chapters)}`)
  assert.equal(chapter.recording_id, rec.id)
  assert.ok(rec.duration_ms > (PUBLISH_S - 3) * 1000, `the recording lasts about ${PUBLISH_S} s: ${rec.duration_ms} ms`)
  assert.ok(chapter.offset_ms > 1000 && chapter.offset_ms < rec.duration_ms, `the chapter is inside the recording: ${chapter.offset_ms} ms`)
  const head = await octx.request.get(server.url + rec.url, { headers: { Range: 'bytes=0-99' } })
  assert.equal(head.status(), 206, 'the MP4 is served with byte ranges')
  assert.equal(head.headers()['content-type'], 'video/mp4')

  // ---- a signed-in customer opens the replay on a phone ----
  const cctx = await newZhContext(browser, PHONE)
  await customerSignIn(cctx, server.url, CUSTOMER)
  const page = await cctx.newPage()
  page.on('pageerror', (e) => errors.push(`customer: ${e.message}`))
  await page.goto(`${server.url}/replay/${session.id}`)
  await page.locator('[data-testid="replay-page"][data-state="ready"]').waitFor()
  assert.match(await byTestId(page, 'replay-badge').innerText(), /回放/)
  assert.equal(await byTestId(page, 'video-live-badge').count(), 0, 'no LIVE badge on a replay')
  assert.equal(await byTestId(page, 'replay-title').innerText(), session.title)
  assert.equal(await byTestId(page, 'replay-video').getAttribute('src'), rec.url)
  // the session is still live: a way back to the room
  await byTestId(page, 'replay-go-live').waitFor()

  const row = page.locator(`[data-testid="replay-chapter"][data-product="${product.id}"]`)
  await row.waitFor()
  assert.ok((await row.innerText()).includes(product.title), `the chapter shows the product's title "${product.title}"`)
  assert.equal(Number(await row.getAttribute('data-offset')), chapter.offset_ms)
  const s = Math.floor(chapter.offset_ms / 1000)
  const clock = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
  assert.equal((await row.locator('[data-testid="replay-chapter-time"]').innerText()).trim(), `讲解 ▶ ${clock}`)
  await page.waitForFunction(() => (document.querySelector('[data-testid="replay-video"]')?.readyState ?? 0) >= 1)
  assert.ok((await videoTime(page)) < 0.5, 'the replay starts at the beginning')
  await shot(page, 'replay-page.png', { fullPage: false })

  // ---- tapping the chapter seeks there (and plays) ----
  await row.locator('[data-testid="replay-chapter-seek"]').click()
  await atChapter(page, chapter.offset_ms, 'after tapping the chapter')
  await page.locator(`[data-testid="replay-chapter"][data-product="${product.id}"].on`).waitFor()
  await shot(page, 'replay-seeked.png', { fullPage: false })

  // ---- the mark on the timeline too ----
  await page.evaluate(() => {
    const v = document.querySelector('[data-testid="replay-video"]')
    v.pause()
    v.currentTime = 0
  })
  await page.waitForFunction(() => document.querySelector('[data-testid="replay-video"]').currentTime < 0.5)
  await page.locator(`[data-testid="replay-mark"][data-product="${product.id}"]`).click()
  await atChapter(page, chapter.offset_ms, 'after tapping the mark on the timeline')

  // ---- "去购买" opens the buying sheet for that product ----
  await row.locator('[data-testid="replay-chapter-buy"]').click()
  const sheet = page.locator(`[data-testid="buy-sheet"][data-product="${product.id}"]`)
  await sheet.waitFor()
  await page.waitForFunction(() => !document.querySelector('[data-testid="buy-sheet"] .loading'))
  assert.ok((await sheet.innerText()).includes(product.title), 'the sheet is for the chapter’s product')
  await byTestId(page, 'buy-now').waitFor()
  await sleep(500) // the sheet's slide-up
  await shot(page, 'replay-buy.png', { fullPage: false })

  assert.deepEqual(errors, [], 'no page errors')
  await cctx.close()
  await octx.close()
})
