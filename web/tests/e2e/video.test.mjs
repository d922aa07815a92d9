// Browser test of live video against the real sellstream server, in zh-CN.
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream npm run test:e2e
//
// Needs nginx with the RTMP module (Debian: nginx libnginx-mod-rtmp) and ffmpeg; without them the
// test is skipped (CI installs them). Starts the server with --demo and --media (it runs nginx
// itself) with its RTMP and HLS ports on free ports. The operator, signed in through the API,
// creates a stream key for the demo's live session; a viewer's phone-sized room shows the demo
// clip; ffmpeg publishes a test pattern with the key; the key's status says publishing and the
// same room page switches to the stream (LIVE badge, the <video> playing, muted) without a
// reload. An ffmpeg with a wrong key is refused and does not disturb the first; when the first
// stops, the room goes back to offline.
//
// Simulcast: a second nginx plays a platform's ingest. The operator adds a channel account with
// push credentials pointing at it (API), the channels page shows only the key's hint and, after
// the key is replaced through its dialog, neither the key nor the URL; the session page's
// simulcast panel starts the target (waiting, then pushing once ffmpeg publishes as the host),
// ffprobe sees the stream arrive at the platform, and the room console's panel stops it.
// Stopping the server stops its nginx. Screenshots: web/test-results/video-*.png.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { RESULTS_DIR, RTMP_MODULE, byTestId, consoleSignIn, field, freePort, makeTmp, mediaMissing, newZhContext, publishTestPattern, removeTmp, settle, shot, skipWithoutMedia, sleep, startDemo, stopDemo, until } from './harness.mjs'

const PHONE = { width: 390, height: 844 }
const OPERATOR = { login: 'operator', password: 'operator-demo' }
const skipWhy = mediaMissing()

let server = null
let browser = null
let tmpRoot = ''
let rtmpPort = 0
/** Every ffmpeg started here, killed in `after` whatever happened. */
const encoders = new Set()
/** Every platform nginx started here (simulcast), likewise. */
const platforms = new Set()

before(async () => {
  if (skipWhy) return
  rtmpPort = await freePort()
  const hlsPort = await freePort()
  // RTMP on loopback only, and nginx's own HTTP port free too (two runs may share a machine)
  const extraArgs = ['--media', '--rtmp-port', String(rtmpPort), '--rtmp-host', '127.0.0.1', '--hls-port', String(hlsPort)]
  ;({ server, browser, tmpRoot } = await startDemo({ extraArgs }))
})

after(async () => {
  for (const e of encoders) await stopEncoder(e)
  for (const p of platforms) await p.stop()
  await stopDemo({ server, browser, tmpRoot })
  browser = null
  server = null
})

// ---------- ffmpeg ----------

/** Publishes a test pattern and a tone to `url` in real time until stopped. */
function publish(url) {
  const enc = publishTestPattern(url)
  encoders.add(enc)
  return enc
}

const running = (enc) => enc.proc.exitCode === null && enc.proc.signalCode === null

/** How the encoder ended, or null when it still runs after `ms`. */
async function exitWithin(enc, ms) {
  return Promise.race([enc.exited, sleep(ms).then(() => null)])
}

async function stopEncoder(enc) {
  encoders.delete(enc)
  if (!running(enc)) return
  enc.proc.kill('SIGTERM')
  if ((await exitWithin(enc, 5000)) === null) {
    enc.proc.kill('SIGKILL')
    await exitWithin(enc, 2000)
  }
}

// ---------- helpers ----------

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

async function videoState(page) {
  return page.evaluate(() => {
    const box = document.querySelector('[data-testid="room-video"]')
    const v = box?.querySelector('video')
    return {
      mode: box?.getAttribute('data-mode') ?? null,
      playing: box?.getAttribute('data-playing') ?? null,
      time: v ? v.currentTime : null,
      paused: v ? v.paused : null,
      muted: v ? v.muted : null,
    }
  })
}

test('live video: stream key, publish with ffmpeg, watch in the room, wrong key refused, stop', { timeout: 300_000 }, async (t) => {
  if (skipWithoutMedia(t, 'live video')) return
  assert.ok(server && browser, 'server or browser was not started')
  const errors = []

  // ---- the operator, through the API ----
  const octx = await browser.newContext()
  const login = await octx.request.post(server.url + '/api/v1/auth/login', { data: OPERATOR })
  assert.equal(login.status(), 200, `operator login: ${login.status()} ${await login.text()}`)
  const list = await (await octx.request.get(server.url + '/api/v1/public/sessions')).json()
  const session = list.items.find((s) => s.state === 'live')
  assert.ok(session, 'the demo has a live session')
  const keyUrl = `${server.url}/api/v1/sessions/${session.id}/stream-key`
  const status = async () => {
    const res = await octx.request.get(keyUrl)
    assert.equal(res.status(), 200, `GET stream-key: ${res.status()} ${await res.text()}`)
    return res.json()
  }

  const initial = await status()
  assert.equal(initial.publishing, false, 'nobody publishes before the test')
  const issued = await octx.request.post(keyUrl)
  assert.equal(issued.status(), 201, `POST stream-key: ${issued.status()} ${await issued.text()}`)
  const { key, hint, server_url: serverUrl } = await issued.json()
  assert.match(key, /^ss_/, 'the key')
  assert.equal(serverUrl, `rtmp://127.0.0.1:${rtmpPort}/live`, 'server_url names the RTMP port the server was given')
  const afterIssue = await status()
  assert.equal(afterIssue.exists, true)
  assert.equal(afterIssue.hint, hint)
  assert.ok(!JSON.stringify(afterIssue).includes(key), 'GET never returns the key itself')

  // ---- a viewer's room, before anyone publishes: the demo clip ----
  const vctx = await newZhContext(browser, PHONE)
  const page = await vctx.newPage()
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${server.url}/live/${session.id}`)
  await page.locator('[data-testid="live-room"][data-status="live"]').waitFor()
  await page.locator('[data-testid="room-video"][data-mode="demo"]').waitFor()
  assert.match(await byTestId(page, 'video-demo-badge').innerText(), /演示片段/)
  assert.equal(await byTestId(page, 'video-live-badge').count(), 0, 'no LIVE badge on the demo clip')

  // ---- ffmpeg publishes with the key ----
  const good = publish(`rtmp://127.0.0.1:${rtmpPort}/live/${key}`)
  const publishing = await until('the key reports publishing', 15_000, async () => {
    if (!running(good)) assert.fail(`ffmpeg with the right key exited: ${JSON.stringify(good.proc.exitCode)}\n${good.log()}`)
    const s = await status()
    return s.publishing ? s : null
  })
  assert.ok(publishing.publish_started_at, 'publish_started_at is set while publishing')

  // the public session says live, and its playlist is there
  const pub = await until('the public session says the video is live', 20_000, async () => {
    const s = await (await octx.request.get(`${server.url}/api/v1/public/sessions/${session.id}`)).json()
    return s.video?.state === 'live' && s.video.hls_url ? s : null
  })
  const playlist = new URL(pub.video.hls_url, server.url).toString()
  await until(`the HLS playlist ${playlist} is served`, 20_000, async () => {
    const res = await octx.request.get(playlist)
    return res.status() === 200 && (await res.text()).startsWith('#EXTM3U')
  })

  // ---- the same page switches to the stream by itself (the room's `video` event) ----
  await byTestId(page, 'video-live-badge').waitFor({ timeout: 30_000 })
  assert.match(await byTestId(page, 'video-live-badge').innerText(), /LIVE/)
  await page.locator('[data-testid="room-video"][data-mode="live"][data-playing="true"]').waitFor({ timeout: 30_000 })
  const v1 = await videoState(page)
  await sleep(3000)
  const v2 = await videoState(page)
  assert.equal(v2.muted, true, 'autoplay is muted')
  assert.ok(v2.time > v1.time, `the stream plays: currentTime ${v1.time} → ${v2.time}`)
  await byTestId(page, 'video-unmute').waitFor()
  await shot(page, 'video-live.png', { fullPage: false })

  // ---- a wrong key is refused, and the first stream goes on ----
  const bad = publish(`rtmp://127.0.0.1:${rtmpPort}/live/ss_not-a-real-key-${Date.now()}`)
  const badEnd = await exitWithin(bad, 15_000)
  if (badEnd === null) {
    await stopEncoder(bad)
    assert.fail('ffmpeg with a wrong key was still publishing after 15 s')
  }
  encoders.delete(bad)
  assert.notEqual(badEnd.code, 0, `ffmpeg with a wrong key failed (exit ${badEnd.code}, signal ${badEnd.signal})`)
  assert.ok(running(good), `the first ffmpeg still runs after the refused one:\n${good.log()}`)
  assert.equal((await status()).publishing, true, 'still publishing after the refused one')
  const v3 = await videoState(page)
  await sleep(2500)
  const v4 = await videoState(page)
  assert.equal(v4.mode, 'live')
  assert.ok(v4.time > v3.time, `the stream still plays: currentTime ${v3.time} → ${v4.time}`)

  // ---- the encoder stops: the room goes back to offline (demo clip or cover) ----
  await stopEncoder(good)
  await page.locator('[data-testid="room-video"]:not([data-mode="live"])').waitFor({ timeout: 20_000 })
  assert.equal(await byTestId(page, 'video-live-badge').count(), 0, 'no LIVE badge once the stream stopped')
  const stopped = await until('the key reports not publishing', 20_000, async () => {
    const s = await status()
    return !s.publishing ? s : null
  })
  assert.ok(stopped.last_publish_ended_at, 'last_publish_ended_at is set once it stopped')
  await shot(page, 'video-offline.png', { fullPage: false })

  assert.deepEqual(errors, [], 'no page errors')
  await vctx.close()
  await octx.close()
})

// ---------- simulcast: a second nginx plays the platform ----------

/**
 * Starts nginx with the RTMP module as a platform's ingest (`rtmp://127.0.0.1:<port>/push/<key>`
 * takes any key), in its own temporary directory. Returns `{ port, stop() }`.
 */
async function startPlatform() {
  const dir = makeTmp('sellstream-e2e-platform-')
  const port = await freePort()
  const conf = path.join(dir, 'nginx.conf')
  fs.writeFileSync(
    conf,
    `load_module ${RTMP_MODULE}; user root; daemon off; pid ${dir}/p; error_log ${dir}/e.log; events {} ` +
      `rtmp { server { listen 127.0.0.1:${port}; application push { live on; } } }\n`,
  )
  const proc = spawn('nginx', ['-p', dir + '/', '-e', dir + '/e.log', '-c', conf], { stdio: 'ignore' })
  const exited = new Promise((resolve) => proc.once('exit', resolve))
  const platform = {
    port,
    async stop() {
      platforms.delete(platform)
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM') // nginx's master stops its worker on TERM
        if ((await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) === false) proc.kill('SIGKILL')
      }
      removeTmp(dir)
    },
  }
  platforms.add(platform)
  const log = () => (fs.existsSync(path.join(dir, 'e.log')) ? fs.readFileSync(path.join(dir, 'e.log'), 'utf8') : '')
  await until('the platform nginx listens', 10_000, async () => {
    if (proc.exitCode !== null) assert.fail(`the platform nginx exited (${proc.exitCode}):\n${log()}`)
    return portOpen(port)
  })
  return platform
}

/** What `ffprobe` finds at `url` within 8 s: `{ code, out }` (code 124: nothing came). */
function probe(url) {
  return new Promise((resolve) => {
    execFile('timeout', ['8', 'ffprobe', '-v', 'error', '-show_streams', url], (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: stdout + stderr })
    })
  })
}

test('simulcast: push credentials never shown, start a target from the panel, the platform receives, stop', { timeout: 240_000 }, async (t) => {
  if (skipWithoutMedia(t, 'simulcast')) return
  assert.ok(server && browser, 'server or browser was not started')
  const errors = []
  const platform = await startPlatform()
  const stamp = Date.now().toString(36)
  const code = `douyin-e2e-${stamp}`
  const firstKey = `e2e-first-${stamp}-9x7q`
  const key = `e2e-live-${stamp}-k3y5`

  // ---- the operator adds the account and its credentials through the API ----
  const octx = await browser.newContext()
  const login = await octx.request.post(server.url + '/api/v1/auth/login', { data: OPERATOR })
  assert.equal(login.status(), 200, `operator login: ${login.status()} ${await login.text()}`)
  const created = await octx.request.post(server.url + '/api/v1/channels', { data: { code, platform: 'douyin', name: '抖音 E2E 号' } })
  assert.equal(created.status(), 201, `POST channels: ${created.status()} ${await created.text()}`)
  const pushUrl = `rtmp://127.0.0.1:${platform.port}/push`
  const set = await octx.request.put(`${server.url}/api/v1/channels/${code}/push`, { data: { push_url: pushUrl, stream_key: firstKey } })
  assert.equal(set.status(), 200, `PUT push: ${set.status()} ${await set.text()}`)
  const list = await (await octx.request.get(server.url + '/api/v1/public/sessions')).json()
  const session = list.items.find((s) => s.state === 'live')
  assert.ok(session, 'the demo has a live session')

  // ---- the channels page: a hint, never the key; replacing it through the dialog ----
  const ctx = await newZhContext(browser, { width: 1440, height: 900 })
  const page = await ctx.newPage()
  page.on('pageerror', (e) => errors.push(e.message))
  await consoleSignIn(page, server.url, OPERATOR.login, OPERATOR.password)
  await page.waitForURL((u) => !u.pathname.includes('/login'))
  await page.goto(`${server.url}/console/channels`)
  assert.equal(await byTestId(page, 'page-title').innerText(), '渠道')
  const pushCell = page.locator(`[data-testid="channel-push"][data-channel="${code}"]`)
  await pushCell.locator('[data-testid="channel-push-hint"]').waitFor()
  assert.equal(await pushCell.locator('[data-testid="channel-push-hint"]').innerText(), '…' + firstKey.slice(-4))
  const shown = () => page.evaluate(() => document.documentElement.outerHTML + [...document.querySelectorAll('input')].map((i) => i.value).join('\n'))
  assert.ok(!(await shown()).includes(firstKey), 'the channels page does not show the key set through the API')

  await byTestId(page, `channel-set-push-${code}`).click()
  await byTestId(page, 'channel-push-sealed').waitFor()
  assert.match(await byTestId(page, 'channel-push-sealed').innerText(), /加密保存/)
  assert.equal(await field(page, 'channel-push-key').getAttribute('type'), 'password', 'the stream key is a password field')
  await field(page, 'channel-push-url').fill(pushUrl)
  await field(page, 'channel-push-key').fill(key)
  await byTestId(page, 'channel-push-save').click()
  await byTestId(page, 'channel-push-dialog').waitFor({ state: 'hidden' })
  await page.waitForFunction(
    ([c, hint]) => document.querySelector(`[data-testid="channel-push"][data-channel="${c}"] [data-testid="channel-push-hint"]`)?.textContent?.trim() === hint,
    [code, '…' + key.slice(-4)],
  )
  let html = await shown()
  assert.ok(!html.includes(key) && !html.includes(pushUrl), 'after saving, the page shows neither the key nor the URL')
  // opened again, the dialog is empty: nothing of what was typed stayed in the form
  await byTestId(page, `channel-set-push-${code}`).click()
  await byTestId(page, 'channel-push-sealed').waitFor()
  assert.equal(await field(page, 'channel-push-url').inputValue(), '')
  assert.equal(await field(page, 'channel-push-key').inputValue(), '')
  html = await shown()
  assert.ok(!html.includes(key), 'the reopened dialog does not hold the key')
  await page.keyboard.press('Escape')
  await byTestId(page, 'channel-push-dialog').waitFor({ state: 'hidden' })
  const channels = await (await octx.request.get(server.url + '/api/v1/channels')).text()
  assert.ok(!channels.includes(key) && !channels.includes(firstKey), 'GET /channels never returns a key')
  await settle(page)
  await shot(page, 'video-channels.png')

  // ---- the session page: start the target from the simulcast panel ----
  await page.goto(`${server.url}/console/sessions/${session.id}`)
  const target = page.locator(`[data-testid="simulcast-target"][data-channel="${code}"]`)
  await target.waitFor()
  assert.equal(await target.getAttribute('data-state'), 'stopped')
  await target.locator('[data-testid="simulcast-start"]').click()
  // nobody publishes yet: the relay waits for the host
  await page.locator(`[data-testid="simulcast-target"][data-channel="${code}"][data-state="waiting"]`).waitFor({ timeout: 10_000 })
  assert.match(await target.locator('[data-testid="simulcast-state"]').innerText(), /等待主播推流/)
  await target.locator('[data-testid="simulcast-stop"]').waitFor()

  // the host streams (a fresh key: the story above revoked nothing, but its encoder is gone)
  const issued = await octx.request.post(`${server.url}/api/v1/sessions/${session.id}/stream-key`)
  assert.equal(issued.status(), 201, `POST stream-key: ${issued.status()} ${await issued.text()}`)
  const hostKey = (await issued.json()).key
  const host = publish(`rtmp://127.0.0.1:${rtmpPort}/live/${hostKey}`)
  await page.locator(`[data-testid="simulcast-target"][data-channel="${code}"][data-state="pushing"]`).waitFor({ timeout: 40_000 })
  assert.match(await target.locator('[data-testid="simulcast-state"]').innerText(), /推流中/)
  assert.ok(running(host), `the host's ffmpeg still runs:\n${host.log()}`)

  // the platform receives the stream under the key set in the dialog
  const got = await probe(`${pushUrl}/${key}`)
  assert.equal(got.code, 0, `ffprobe of the platform's stream: exit ${got.code}\n${got.out}`)
  assert.match(got.out, /codec_type=video/, 'the platform receives video')
  assert.match(got.out, /codec_type=audio/, 'the platform receives audio')

  // the room console shows the same target
  await page.goto(`${server.url}/console/sessions/${session.id}/room`)
  const roomTarget = page.locator(`[data-testid="simulcast-target"][data-channel="${code}"][data-state="pushing"]`)
  await roomTarget.waitFor()
  await settle(page)
  await byTestId(page, 'simulcast-panel').screenshot({ path: path.join(RESULTS_DIR, 'video-simulcast-pushing.png') })

  // ---- stop it from the panel ----
  await roomTarget.locator('[data-testid="simulcast-stop"]').click()
  await page.locator('.el-message-box').waitFor()
  await page.locator('.el-message-box .el-button--danger').click()
  await page.locator(`[data-testid="simulcast-target"][data-channel="${code}"][data-state="stopped"]`).waitFor({ timeout: 10_000 })
  const stoppedTarget = page.locator(`[data-testid="simulcast-target"][data-channel="${code}"]`)
  assert.match(await stoppedTarget.locator('[data-testid="simulcast-state"]').innerText(), /未推流/)
  await stoppedTarget.locator('[data-testid="simulcast-start"]').waitFor()
  const api = await (await octx.request.get(`${server.url}/api/v1/sessions/${session.id}/simulcast`)).json()
  const mine = api.items.find((x) => x.channel === code)
  assert.equal(mine?.state, 'stopped', 'the server says stopped')
  assert.equal(mine?.wanted, false)
  // the platform stops receiving: nothing to probe any more
  const gone = await probe(`${pushUrl}/${key}`)
  assert.ok(!/codec_type=video/.test(gone.out), `the platform no longer receives video:\n${gone.out}`)
  await settle(page)
  await byTestId(page, 'simulcast-panel').screenshot({ path: path.join(RESULTS_DIR, 'video-simulcast-stopped.png') })

  await stopEncoder(host)
  assert.deepEqual(errors, [], 'no page errors')
  await ctx.close()
  await octx.close()
  await platform.stop()
})

test('stopping the server stops its nginx', { timeout: 30_000 }, async (t) => {
  if (skipWhy) {
    t.skip(`needs nginx-rtmp and ffmpeg: ${skipWhy}`)
    return
  }
  assert.ok(server, 'the server runs')
  assert.ok(await portOpen(rtmpPort), 'its RTMP port is open before')
  await server.stop()
  server = null
  await until(`the RTMP port ${rtmpPort} closes with the server`, 10_000, async () => !(await portOpen(rtmpPort)))
})
