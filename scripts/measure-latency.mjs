// Glass-to-glass latency of the room's video on this machine: ffmpeg publishes a picture that
// carries its own capture time (12 stripes, the bits of tenths of a second since the start), the
// room page plays it in Chromium, and the page reads the stripes of the frame on screen and sets
// them against the clock. Run after a build: node scripts/measure-latency.mjs [seconds]
//
// Needs nginx with libnginx-mod-rtmp, ffmpeg, Chromium and the web app's node packages.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '..')
const harness = await import(pathToFileURL(path.join(repo, 'web/tests/e2e/harness.mjs')).href)
const { chromium } = await import(pathToFileURL(path.join(repo, 'web/node_modules/playwright-core/index.mjs')).href)
const { freePort, makeTmp, removeTmp, sleep, CHROMIUM, CHROMIUM_ARGS } = harness

const seconds = Number(process.argv[2] || 40)
const bin = process.env.SELLSTREAM_BIN || path.join(repo, 'target/release/sellstream')
const [http, rtmp, hls] = await Promise.all([freePort(), freePort(), freePort()])
const data = makeTmp('sellstream-latency-')
const server = spawn(bin, ['serve', '--demo', '--media', '--bind', `127.0.0.1:${http}`, '--data-dir', data,
  '--rtmp-host', '127.0.0.1', '--rtmp-port', String(rtmp), '--hls-port', String(hls)], { stdio: 'ignore' })
const base = `http://127.0.0.1:${http}`
let encoder = null
let browser = null
try {
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${base}/readyz`)).ok) break } catch {}
    await sleep(200)
  }
  const login = await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'operator', password: 'operator-demo' }) })).json()
  const issued = await (await fetch(`${base}/api/v1/sessions/1/stream-key`, { method: 'POST',
    headers: { authorization: `Bearer ${login.token}` } })).json()
  // Tenths of a second since the first frame, as 12 black/white stripes (409.6 s before it wraps).
  const picture = "color=c=black:s=640x360:r=25,format=gray,geq=lum='if(bitand(floor(T*10)\\,pow(2\\,floor(X*12/W)))\\,235\\,16)',format=yuv420p"
  const t0 = Date.now()
  encoder = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', picture, '-t', String(seconds + 20),
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '25', '-f', 'flv',
    `rtmp://127.0.0.1:${rtmp}/live/${issued.key}`], { stdio: 'ignore' })
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
  await page.goto(`${base}/live/1`)
  await page.waitForFunction(() => { const v = document.querySelector('video'); return v && v.currentTime > 1 && !v.paused }, null, { timeout: 60_000 })
  const samples = []
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    const s = await page.evaluate(() => new Promise((resolve) => {
      const v = document.querySelector('video')
      v.requestVideoFrameCallback((now) => {
        const c = document.createElement('canvas')
        c.width = 640; c.height = 36
        const g = c.getContext('2d')
        g.drawImage(v, 0, 160, 640, 36, 0, 0, 640, 36)
        const px = g.getImageData(0, 0, 640, 36).data
        let n = 0
        for (let b = 0; b < 12; b++) {
          const x = Math.floor((b + 0.5) * 640 / 12)
          if (px[(18 * 640 + x) * 4] > 128) n |= 1 << b
        }
        // `now` is when the frame was handed to the compositor (performance clock).
        resolve({ tenths: n, shownAt: performance.timeOrigin + now })
      })
    }))
    samples.push(s.shownAt - (t0 + s.tenths * 100))
    await sleep(500)
  }
  samples.sort((a, b) => a - b)
  const q = (p) => Math.round(samples[Math.min(samples.length - 1, Math.floor(p * samples.length))])
  console.log(`glass-to-glass on loopback: ${samples.length} frames, median ${q(0.5)} ms, p10 ${q(0.1)} ms, p90 ${q(0.9)} ms`)
  console.log(JSON.stringify({ frames: samples.length, median_ms: q(0.5), p10_ms: q(0.1), p90_ms: q(0.9) }))
} finally {
  if (browser) await browser.close()
  if (encoder) encoder.kill('SIGKILL')
  server.kill('SIGTERM')
  await sleep(1000)
  removeTmp(data)
}
