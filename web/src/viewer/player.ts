// Playing the room's HLS video. hls.js (its light build) is loaded on first use, so the room's
// first paint does not wait for it; where it cannot run but the browser plays HLS itself (iOS
// Safari before Managed Media Source), the <video> gets the playlist directly.
import type Hls from 'hls.js'
import type { HlsConfig } from 'hls.js'

export type HlsClass = typeof Hls

/**
 * hls.js settings for the room (docs may cite these). Stay about 2 segments behind the live edge
 * and, when more than 5 behind (a stall, a slow phone), catch up by playing at up to 1.5× before
 * jumping; keep 30 s already played so a phone's memory stays small. `lowLatencyMode` takes
 * LL-HLS parts when the playlist has them (nginx-rtmp's do not; it costs nothing then).
 */
export const HLS_LIVE_CONFIG: Partial<HlsConfig> = {
  lowLatencyMode: true,
  liveSyncDurationCount: 2,
  liveMaxLatencyDurationCount: 5,
  maxLiveSyncPlaybackRate: 1.5,
  backBufferLength: 30,
}

/** Seconds before loading a playlist again when it failed (e.g. 404 while the stream starts). */
export const RETRY_MS = 3000
/** Later retries, after a few quick ones. */
export const RETRY_SLOW_MS = 10_000
export const RETRY_QUICK = 5

export const HLS_MIME = 'application/vnd.apple.mpegurl'

let loading: Promise<HlsClass> | null = null

/** The hls.js class, imported once (a failed import is tried again next time). */
export function loadHls(): Promise<HlsClass> {
  loading ??= import('hls.js/light').then(
    (m) => m.default as HlsClass,
    (e) => {
      loading = null
      throw e
    },
  )
  return loading
}

/** Whether this browser has Media Source Extensions at all (without loading hls.js). */
export function hasMediaSource(): boolean {
  const w = window as unknown as Record<string, unknown>
  return typeof w.MediaSource === 'function' || typeof w.ManagedMediaSource === 'function'
}

/** Whether the <video> plays HLS by itself (Safari). */
export function playsHlsNatively(video: HTMLVideoElement): boolean {
  return video.canPlayType(HLS_MIME) !== ''
}
