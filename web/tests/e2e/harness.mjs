// Shared pieces of the browser tests: starting and stopping the real sellstream server, the
// Chromium launch flags, and small page helpers. Not a test file itself (node --test only runs
// *.test.mjs here).
//
//   SELLSTREAM_BIN=/work/main/target/debug/sellstream npm run test:e2e
//
// The server runs as `$SELLSTREAM_BIN serve --bind 127.0.0.1:<port> --data-dir <dir> [--demo]`
// with the repository root as its working directory (a debug build serves ./web/dist from there).

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = path.dirname(fileURLToPath(import.meta.url))
export const WEB_DIR = path.resolve(here, '../..')
export const REPO_DIR = path.resolve(WEB_DIR, '..')
export const RESULTS_DIR = path.join(WEB_DIR, 'test-results')
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'
export const STEP_TIMEOUT = 20_000

/** Debian's Chromium, headless, without anything that would reach the network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Polls `fn` until it returns something truthy; fails with `what` (and the last value) after `ms`. */
export async function until(what, ms, fn, every = 250) {
  const deadline = Date.now() + ms
  let last
  while (Date.now() < deadline) {
    last = await fn()
    if (last) return last
    await sleep(every)
  }
  assert.fail(`${what}: not within ${ms / 1000}s (last: ${JSON.stringify(last)})`)
}

/** Debian's RTMP module for nginx, which the video tests load. */
export const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so'

function onPath(cmd) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, cmd)))
}

/**
 * Skips a video test (with `what` in the message) where nginx-rtmp or ffmpeg is missing; where
 * SELLSTREAM_TEST_REQUIRE_MEDIA is set (CI installs them) that is a failure instead. True when skipped.
 */
export function skipWithoutMedia(t, what) {
  const why = mediaMissing()
  if (!why) return false
  assert.ok(!process.env.SELLSTREAM_TEST_REQUIRE_MEDIA, `${what} needs nginx-rtmp and ffmpeg: ${why}`)
  t.skip(`${what} needs nginx-rtmp and ffmpeg: ${why}`)
  return true
}

/**
 * Publishes a test pattern and a tone to `url` in real time, as an encoder would: for `seconds`,
 * or until stopped. `exited` resolves how it ended; `log()` is the end of its output.
 */
export function publishTestPattern(url, seconds = null) {
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'warning', '-re',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440',
    ...(seconds === null ? [] : ['-t', String(seconds)]),
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-f', 'flv', url,
  ]
  const proc = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let output = ''
  proc.stderr.on('data', (c) => {
    output = (output + c.toString()).slice(-4000)
  })
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })))
  return { proc, exited, log: () => output }
}

/** Why this machine cannot run the video tests (nginx with the RTMP module, ffmpeg), or null. */
export function mediaMissing() {
  const lacks = []
  if (!onPath('nginx')) lacks.push('nginx is not on PATH')
  if (!fs.existsSync(RTMP_MODULE)) lacks.push(`${RTMP_MODULE} is missing`)
  if (!onPath('ffmpeg')) lacks.push('ffmpeg is not on PATH')
  return lacks.length ? `${lacks.join('; ')} (Debian: apt-get install nginx libnginx-mod-rtmp ffmpeg)` : null
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/** Fails early, with what to do, when the server binary or Chromium is missing. */
export function checkPrerequisites() {
  const bin = process.env.SELLSTREAM_BIN
  if (!bin) {
    throw new Error(
      'SELLSTREAM_BIN is not set. Point it at the sellstream server binary, e.g.\n' +
        '  SELLSTREAM_BIN=/work/main/target/debug/sellstream npm run test:e2e',
    )
  }
  if (!fs.existsSync(bin)) throw new Error(`SELLSTREAM_BIN=${bin} does not exist (build the backend first)`)
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's: apt-get update && apt-get install -y chromium (or set CHROMIUM)`)
  }
  fs.mkdirSync(RESULTS_DIR, { recursive: true })
  return bin
}

/** A fresh temporary directory (removed by `removeTmp`). */
export function makeTmp(prefix = 'sellstream-e2e-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export function removeTmp(dir) {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
}

// Every server started here is killed when the runner exits, even when interrupted.
const running = new Set()
process.on('exit', () => {
  for (const s of running) {
    if (s.proc.exitCode === null && s.proc.signalCode === null) {
      try {
        process.kill(-s.proc.pid, 'SIGKILL')
      } catch {
        /* ignore */
      }
    }
  }
})

async function waitForHealth(server, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  let lastErr = ''
  while (Date.now() < deadline) {
    const { proc } = server
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`sellstream exited early (code ${proc.exitCode}, signal ${proc.signalCode}). Output:\n${server.log()}`)
    }
    try {
      const res = await fetch(server.url + '/healthz', { signal: AbortSignal.timeout(2000) })
      if (res.status === 200) return
      lastErr = 'HTTP ' + res.status
    } catch (e) {
      lastErr = String(e?.cause?.code || e?.message || e)
    }
    await sleep(250)
  }
  throw new Error(`sellstream did not answer GET /healthz with 200 within ${timeoutMs / 1000}s (last: ${lastErr}). Output:\n${server.log()}`)
}

/**
 * Starts `$SELLSTREAM_BIN serve` on 127.0.0.1:`port` with `dataDir` (and `extraArgs`, e.g.
 * `--media`) and waits for /healthz. Returns `{ url, port, proc, log(), stop(signal) }`. The
 * output is kept (tail) for error messages.
 */
export async function startServer({ port, dataDir, demo = true, timeoutMs = 60_000, extraArgs = [] }) {
  const bin = checkPrerequisites()
  const args = ['serve', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir, ...extraArgs]
  if (demo) args.push('--demo')
  const proc = spawn(bin, args, {
    cwd: REPO_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env },
  })
  let output = ''
  const collect = (chunk) => {
    output += chunk.toString()
    if (output.length > 200_000) output = output.slice(-100_000)
  }
  proc.stdout.on('data', collect)
  proc.stderr.on('data', collect)
  proc.on('error', (e) => {
    output += `\n[spawn error] ${e.message}\n`
  })
  const server = {
    url: `http://127.0.0.1:${port}`,
    port,
    proc,
    log: () => output,
    stop: (signal) => stopServer(server, signal),
  }
  running.add(server)
  await waitForHealth(server, timeoutMs)
  return server
}

/** Stops a server with `signal` (SIGTERM: a graceful shutdown), then SIGKILL after 8 s. */
export async function stopServer(server, signal = 'SIGTERM') {
  if (!server) return
  const { proc } = server
  running.delete(server)
  if (proc.exitCode !== null || proc.signalCode !== null) return
  const exited = new Promise((r) => proc.once('exit', r))
  const kill = (sig) => {
    try {
      process.kill(-proc.pid, sig)
    } catch {
      try {
        proc.kill(sig)
      } catch {
        /* already gone */
      }
    }
  }
  kill(signal)
  const timedOut = await Promise.race([exited.then(() => false), sleep(8000).then(() => true)])
  if (timedOut) {
    kill('SIGKILL')
    await Promise.race([exited, sleep(2000)])
  }
}

// ---------- page helpers ----------

/** The <input>/<textarea> behind a data-testid (Element Plus puts it on the input or on a wrapper). */
export function field(page, id) {
  const sel = `[data-testid="${id}"]`
  return page.locator(`input${sel}, textarea${sel}, ${sel} input, ${sel} textarea`).first()
}

export const byTestId = (page, id) => page.locator(`[data-testid="${id}"]`)

/** Wait (briefly) for dialogs and toasts to go away, so screenshots show the page itself. */
export async function settle(page) {
  await page.locator('.el-message-box').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined)
  await page.waitForFunction(() => document.querySelectorAll('.el-message').length === 0, null, { timeout: 8000 }).catch(() => undefined)
}

export async function shot(page, name, { fullPage = true } = {}) {
  await page.screenshot({ path: path.join(RESULTS_DIR, name), fullPage })
}

// ---------- the shared start-up of the zh-CN story tests ----------

/**
 * Starts the demo server on a free port and a fresh data dir (with `extraArgs` for `serve`), and
 * launches Chromium. Returns `{ server, browser, tmpRoot, dataDir, port }`; `stopDemo` undoes it.
 */
export async function startDemo({ extraArgs = [] } = {}) {
  checkPrerequisites()
  const tmpRoot = makeTmp()
  const dataDir = path.join(tmpRoot, 'data')
  fs.mkdirSync(dataDir)
  const port = await freePort()
  const server = await startServer({ port, dataDir, demo: true, extraArgs })
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  return { server, browser, tmpRoot, dataDir, port }
}

/** Closes the browser, stops the server (SIGTERM) and removes the temporary directory. */
export async function stopDemo({ server, browser, tmpRoot }) {
  try {
    if (browser) await browser.close()
  } catch {
    /* ignore */
  }
  if (server) await server.stop()
  removeTmp(tmpRoot)
}

/** A browser context in zh-CN (Asia/Shanghai) with the step timeout. */
export async function newZhContext(browser, viewport) {
  const ctx = await browser.newContext({ viewport, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' })
  ctx.setDefaultTimeout(STEP_TIMEOUT)
  await ctx.addInitScript(() => localStorage.setItem('sellstream.lang', 'zh-CN'))
  return ctx
}

/** Signs a staff member in on the console's login page (the caller waits for what comes next). */
export async function consoleSignIn(page, baseUrl, username, password) {
  await page.goto(`${baseUrl}/console/`)
  await page.waitForURL(/\/console\/login/)
  await field(page, 'login-username').fill(username)
  await field(page, 'login-password').fill(password)
  await byTestId(page, 'login-submit').click()
}

/** Signs a customer in through the API in `ctx` (its cookie then serves the pages). */
export async function customerSignIn(ctx, baseUrl, credentials) {
  const res = await ctx.request.post(baseUrl + '/api/v1/auth/login', { data: credentials })
  assert.equal(res.status(), 200, `customer login: ${res.status()} ${await res.text()}`)
}
