// ECharts options of the other-platforms pages: GMV and UV per row of the cross-platform
// comparison (grouped bars, two axes; GMV alone by product, which has no viewers), and ours against each competitor over time (lines).

import { formatFen } from '@shared/format'
import type { ChartOption } from './echarts'
import { BLUE, BRAND, GREEN, ORANGE, PURPLE } from './charts'
import { formatInt } from './metrics'
import type { Figures, Watch } from './imports'

type T = (key: string, params?: Record<string, unknown>) => string

const TEXT = '#1f2329'
const MUTED = '#86909c'
const AXIS = '#c9cdd4'
const SPLIT = '#f0f1f3'
const PALETTE = [BLUE, ORANGE, GREEN, PURPLE, '#14c9c9', '#f7ba1e', '#86909c', '#eb2f96']

function tooltipBase() {
  return {
    backgroundColor: 'rgba(255,255,255,0.96)',
    borderColor: 'transparent',
    textStyle: { color: TEXT, fontSize: 12 },
    extraCssText: 'box-shadow: 0 6px 20px rgba(0,0,0,.12); border-radius: 8px;',
    confine: true,
  }
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

function short(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s
}

/** Yuan on an axis: "¥1.2万" (zh) / "¥12k" (en). */
function yuanAxis(v: number, lang: string): string {
  const a = Math.abs(v)
  const sign = v < 0 ? '-' : ''
  if (lang.startsWith('zh')) {
    if (a >= 100_000_000) return sign + '¥' + +(a / 100_000_000).toFixed(1) + '亿'
    if (a >= 10_000) return sign + '¥' + +(a / 10_000).toFixed(1) + '万'
  } else {
    if (a >= 1_000_000) return sign + '¥' + +(a / 1_000_000).toFixed(1) + 'M'
    if (a >= 1000) return sign + '¥' + +(a / 1000).toFixed(1) + 'k'
  }
  return sign + '¥' + +a.toFixed(2)
}

function countAxis(v: number, lang: string): string {
  const a = Math.abs(v)
  if (lang.startsWith('zh') && a >= 10_000) return +(v / 10_000).toFixed(1) + '万'
  if (!lang.startsWith('zh') && a >= 1000) return +(v / 1000).toFixed(1) + 'k'
  return String(v)
}

export interface BarRow {
  label: string
  gmv_fen: number
  uv: number
}

/** GMV (left axis, yuan) and UV (right axis) per row, side by side; `uv: false` draws GMV alone. */
export function crossChart(rows: BarRow[], t: T, lang: string, opts: { uv?: boolean } = {}): ChartOption {
  const gmvName = t('console.crossPlatform.metric.gmv_fen')
  const uvName = t('console.crossPlatform.metric.uv')
  const withUv = opts.uv !== false
  return {
    grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
    legend: { top: 0, left: 'center', textStyle: { color: MUTED }, data: withUv ? [gmvName, uvName] : [gmvName] },
    tooltip: {
      ...tooltipBase(),
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (params: unknown) => {
        const i = ((Array.isArray(params) ? params[0] : params) as { dataIndex: number }).dataIndex
        const r = rows[i]
        if (!r) return ''
        const lines = [`<b>${esc(r.label)}</b>`, `${esc(gmvName)}: <b>${esc(formatFen(r.gmv_fen))}</b>`]
        if (withUv) lines.push(`${esc(uvName)}: <b>${esc(formatInt(r.uv))}</b>`)
        return lines.join('<br/>')
      },
    },
    xAxis: {
      type: 'category',
      data: rows.map((r) => short(r.label, 14)),
      axisLabel: { color: MUTED, interval: 0, rotate: rows.length > 6 ? 25 : 0 },
      axisLine: { lineStyle: { color: AXIS } },
    },
    yAxis: [
      { type: 'value', name: gmvName, nameTextStyle: { color: MUTED, align: 'left' as const }, axisLabel: { color: MUTED, formatter: (v: number) => yuanAxis(v, lang) }, splitLine: { lineStyle: { color: SPLIT } } },
      ...(withUv ? [{ type: 'value' as const, name: uvName, nameTextStyle: { color: MUTED, align: 'right' as const }, axisLabel: { color: MUTED, formatter: (v: number) => countAxis(v, lang) }, splitLine: { show: false } }] : []),
    ],
    series: [
      { id: 'gmv', type: 'bar', name: gmvName, yAxisIndex: 0, barMaxWidth: 28, itemStyle: { color: BRAND, borderRadius: [4, 4, 0, 0] }, data: rows.map((r) => Math.round(r.gmv_fen) / 100) },
      ...(withUv ? [{ id: 'uv', type: 'bar' as const, name: uvName, yAxisIndex: 1, barMaxWidth: 28, itemStyle: { color: BLUE, borderRadius: [4, 4, 0, 0] }, data: rows.map((r) => r.uv) }] : []),
    ],
  }
}

export type WatchMetric = 'uv_avg' | 'gmv_fen_avg'

function watchValue(f: Figures | undefined, metric: WatchMetric): number | null {
  const v = f?.[metric]
  if (v === null || v === undefined || !Number.isFinite(v)) return null
  return metric === 'gmv_fen_avg' ? Math.round(v) / 100 : Math.round(v)
}

/** Ours (measured, bold) and each competitor (observed, dashed) per period, of one per-session mean. */
export function watchLineChart(w: Watch, metric: WatchMetric, t: T, lang: string): ChartOption {
  const periods = w.periods.map((p) => p.period)
  const oursName = t('console.competitors.ours')
  const metricName = t('console.competitors.metric.' + metric)
  const fmt = (v: number | null) => (v === null ? '—' : metric === 'gmv_fen_avg' ? formatFen(v * 100) : formatInt(v))
  const series = [
    {
      id: 'ours',
      type: 'line' as const,
      name: oursName,
      connectNulls: true,
      symbolSize: 8,
      lineStyle: { width: 3, color: BRAND },
      itemStyle: { color: BRAND },
      data: w.periods.map((p) => (p.ours.sessions ? watchValue(p.ours, metric) : null)),
    },
    ...w.competitors.map((c, i) => ({
      id: 'c' + c.id,
      type: 'line' as const,
      name: c.name,
      connectNulls: true,
      symbolSize: 7,
      lineStyle: { width: 2, type: 'dashed' as const, color: PALETTE[i % PALETTE.length] },
      itemStyle: { color: PALETTE[i % PALETTE.length] },
      data: w.periods.map((p) => watchValue(p.competitors[String(c.id)], metric)),
    })),
  ]
  return {
    grid: { left: 8, right: 16, top: 44, bottom: 8, containLabel: true },
    legend: { top: 0, left: 'center', type: 'scroll', textStyle: { color: MUTED } },
    tooltip: {
      ...tooltipBase(),
      trigger: 'axis',
      formatter: (params: unknown) => {
        const list = (Array.isArray(params) ? params : [params]) as { dataIndex: number; seriesName: string; value: number | null; color: string; seriesId: string }[]
        const i = list[0]?.dataIndex ?? 0
        const p = w.periods[i]
        if (!p) return ''
        const lines = [`<b>${esc(p.period)}</b> · ${esc(metricName)}`]
        for (const s of list) {
          const f = s.seriesId === 'ours' ? p.ours : p.competitors[s.seriesId.slice(1)]
          const n = f?.sessions ?? 0
          lines.push(`<span style="display:inline-block;width:8px;height:8px;border-radius:4px;background:${s.color};margin-right:6px"></span>${esc(s.seriesName)}: <b>${esc(fmt(s.value ?? null))}</b> <span style="color:${MUTED}">(${esc(t('console.competitors.sessionsN', { n }))})</span>`)
        }
        return lines.join('<br/>')
      },
    },
    xAxis: { type: 'category', data: periods, boundaryGap: false, axisLabel: { color: MUTED, hideOverlap: true }, axisLine: { lineStyle: { color: AXIS } } },
    yAxis: {
      type: 'value',
      name: metricName,
      nameTextStyle: { color: MUTED, align: 'left' as const },
      axisLabel: { color: MUTED, formatter: (v: number) => (metric === 'gmv_fen_avg' ? yuanAxis(v, lang) : countAxis(v, lang)) },
      splitLine: { lineStyle: { color: SPLIT } },
    },
    series,
  }
}
