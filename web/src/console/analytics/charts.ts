// ECharts options of the analytics pages. Pure functions of the API's figures and a translator, so
// the pages only choose what to draw; `dark` is the big-screen (大屏) palette.

import { formatFen } from '@shared/format'
import type { ChartOption } from './echarts'
import { chartValue, formatMetric, formatMinute, formatRate, metricKind, trendValue } from './metrics'
import type { FunnelRow, Marker, MinuteRow, ReportProduct, TrendBy, TrendKey, TrendRow, WatchBucket } from './types'

type T = (key: string, params?: Record<string, unknown>) => string

export const BRAND = '#ff3b5c'
export const BLUE = '#3491fa'
export const ORANGE = '#ff7d00'
export const GREEN = '#00b42a'
export const PURPLE = '#722ed1'

interface Palette {
  text: string
  muted: string
  axis: string
  split: string
  tooltipBg: string
  tooltipText: string
}

function palette(dark: boolean): Palette {
  return dark
    ? { text: '#e5e6eb', muted: '#a9aeb8', axis: '#4e5969', split: 'rgba(255,255,255,0.08)', tooltipBg: 'rgba(20,22,30,0.92)', tooltipText: '#fff' }
    : { text: '#1f2329', muted: '#86909c', axis: '#c9cdd4', split: '#f0f1f3', tooltipBg: 'rgba(255,255,255,0.96)', tooltipText: '#1f2329' }
}

function tooltipBase(p: Palette) {
  return {
    backgroundColor: p.tooltipBg,
    borderColor: 'transparent',
    textStyle: { color: p.tooltipText, fontSize: 12 },
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

const MINUTE = 60_000
/** The shortest stretch a minute axis shows, so a few minutes of data do not fill the chart. */
const MIN_SPAN = 10 * MINUTE
/** At most this many minutes on an axis (a day). */
const MAX_MINUTES = 24 * 60

type Span = [number | null | undefined, number | null | undefined]

/**
 * Every minute from the show's start (or the first figure) to its end (or the last figure), at
 * least MIN_SPAN: the category axis the minute charts share, so gaps show as gaps and one minute
 * of data is not stretched over the whole width.
 */
function minuteAxis(rows: MinuteRow[], span?: Span): number[] {
  const first = rows[0]?.minute
  const last = rows[rows.length - 1]?.minute
  const known = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v)
  const build = (starts: number[], ends: number[]) => {
    if (!starts.length) return null
    const min = Math.floor(Math.min(...starts) / MINUTE) * MINUTE
    const max = Math.max(min + MIN_SPAN - MINUTE, Math.floor(Math.max(min, ...ends) / MINUTE) * MINUTE)
    if ((max - min) / MINUTE >= MAX_MINUTES) return null
    const out: number[] = []
    for (let at = min; at <= max; at += MINUTE) out.push(at)
    return out
  }
  // the show's hours with the data; the data alone when those hours are implausibly long
  return build([span?.[0], first].filter(known), [span?.[1], last].filter(known)) ?? build([first].filter(known), [last].filter(known)) ?? []
}

/** The rows placed on the axis (undefined where a minute has no row). */
function onAxis(axis: number[], rows: MinuteRow[]): (MinuteRow | undefined)[] {
  const byMinute = new Map(rows.map((r) => [Math.floor(r.minute / MINUTE) * MINUTE, r]))
  return axis.map((at) => byMinute.get(at))
}

function axisIndex(axis: number[], at: number): number | null {
  if (!axis.length) return null
  const i = Math.floor((at - axis[0]) / MINUTE)
  return i >= 0 && i < axis.length ? i : null
}

const MARKER_COLOR: Record<string, string> = { pin: PURPLE, flash_sale: ORANGE }
const MARKER_COLOR_DARK: Record<string, string> = { pin: '#c59bff', flash_sale: '#ffc25c' }

/** "讲解 · 丝绒口红" — a marker's kind and label. */
export function markerText(t: T, m: Marker): string {
  const kind = m.kind === 'pin' || m.kind === 'flash_sale' ? t('console.analytics.marker.' + m.kind) : m.kind
  return m.label ? `${kind} · ${m.label}` : kind
}

function markLines(axis: number[], markers: Marker[], t: T, p: Palette, dark: boolean) {
  const colors = dark ? MARKER_COLOR_DARK : MARKER_COLOR
  const data = []
  for (const m of markers) {
    const i = axisIndex(axis, m.at)
    if (i === null) continue
    data.push({
      name: markerText(t, m),
      xAxis: i,
      lineStyle: { color: colors[m.kind] ?? p.muted, type: 'dashed' as const, width: dark ? 1.6 : 1.2, opacity: 0.9 },
      label: { formatter: () => short(markerText(t, m), 14), color: colors[m.kind] ?? p.muted },
    })
  }
  return {
    symbol: ['none', 'none'],
    silent: false,
    animation: false,
    label: { show: true, position: 'insideEndTop' as const, color: p.muted, fontSize: dark ? 13 : 11, distance: 2 },
    tooltip: { show: true },
    data,
  }
}

function minuteXAxis(axis: number[], p: Palette, fontSize: number) {
  return {
    type: 'category' as const,
    data: axis.map(String),
    boundaryGap: true,
    axisLine: { lineStyle: { color: p.axis } },
    axisTick: { alignWithLabel: true },
    axisLabel: { color: p.muted, fontSize, formatter: (v: string) => formatMinute(Number(v)), hideOverlap: true },
  }
}

/** The markers that fall in a minute, as tooltip lines. */
function markerLines(markers: Marker[], at: number, t: T, p: Palette, dark: boolean): string[] {
  const colors = dark ? MARKER_COLOR_DARK : MARKER_COLOR
  return markers.filter((m) => m.at >= at && m.at < at + MINUTE).map((m) => `<span style="color:${colors[m.kind] ?? p.muted}">▍${esc(markerText(t, m))}</span>`)
}

/**
 * Online viewers (the minute's peak, a line) and GMV (bars, right axis) per minute, with a dashed
 * line at each pin (讲解) and flash sale (秒杀).
 */
export function minuteChart(minutes: MinuteRow[], markers: Marker[], t: T, { dark = false, gmv = true, span }: { dark?: boolean; gmv?: boolean; span?: Span } = {}): ChartOption {
  const p = palette(dark)
  const rows = [...minutes].sort((a, b) => a.minute - b.minute)
  const axis = minuteAxis(rows, span)
  const placed = onAxis(axis, rows)
  const fontSize = dark ? 14 : 12
  const axisLabel = { color: p.muted, fontSize }
  // minutes without a row had no events: left as gaps, with the points shown when they are few
  // or isolated, rather than a curve invented across them
  const gaps = placed.some((r, i) => !r && i > 0 && i < placed.length - 1 && placed.slice(0, i).some(Boolean) && placed.slice(i + 1).some(Boolean))
  const few = rows.length <= 40 || gaps
  return {
    backgroundColor: 'transparent',
    animationDurationUpdate: 300,
    grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
    legend: { top: 0, right: 0, textStyle: { color: p.text, fontSize }, itemWidth: 14, itemHeight: 8 },
    tooltip: {
      ...tooltipBase(p),
      trigger: 'axis',
      formatter: (params: unknown) => {
        const list = (Array.isArray(params) ? params : [params]) as { dataIndex: number; seriesId: string; marker: string }[]
        if (!list.length) return ''
        const i = list[0].dataIndex
        const at = axis[i]
        const row = placed[i]
        const lines = [`<b>${formatMinute(at)}</b>`]
        if (row) {
          lines.push(`${list.find((x) => x.seriesId === 'online')?.marker ?? ''}${esc(t('console.analytics.chart.online'))}: <b>${row.online_max}</b>`)
          if (gmv) lines.push(`${list.find((x) => x.seriesId === 'gmv')?.marker ?? ''}${esc(t('console.analytics.chart.gmv'))}: <b>${formatFen(row.gmv_fen)}</b>`)
          lines.push(
            `${esc(t('console.analytics.chart.entries'))} ${row.entries} · ${esc(t('console.analytics.chart.comments'))} ${row.comments} · ${esc(t('console.analytics.chart.clicks'))} ${row.clicks} · ${esc(t('console.analytics.chart.orders'))} ${row.orders}`,
          )
        }
        return [...lines, ...markerLines(markers, at, t, p, dark)].join('<br/>')
      },
    },
    xAxis: minuteXAxis(axis, p, fontSize),
    // the legend names the series (and GMV's unit): no axis names to crowd it
    yAxis: [
      { type: 'value', minInterval: 1, axisLabel, splitLine: { lineStyle: { color: p.split } } },
      ...(gmv ? [{ type: 'value' as const, axisLabel, splitLine: { show: false } }] : []),
    ],
    series: [
      {
        id: 'online',
        name: t('console.analytics.chart.online'),
        type: 'line',
        smooth: 0.2,
        smoothMonotone: 'x',
        showSymbol: few,
        symbolSize: dark ? 8 : 5,
        connectNulls: false,
        yAxisIndex: 0,
        lineStyle: { width: dark ? 3 : 2, color: BRAND },
        itemStyle: { color: BRAND },
        areaStyle: {
          color: {
            type: 'linear',
            x: 0,
            y: 0,
            x2: 0,
            y2: 1,
            colorStops: [
              { offset: 0, color: 'rgba(255,59,92,0.32)' },
              { offset: 1, color: 'rgba(255,59,92,0.02)' },
            ],
          },
        },
        data: placed.map((r) => (r ? r.online_max : null)),
        markLine: markLines(axis, markers, t, p, dark),
      },
      ...(gmv
        ? [
            {
              id: 'gmv',
              name: t('console.analytics.chart.gmvYuan'),
              type: 'bar' as const,
              yAxisIndex: 1,
              barMaxWidth: 14,
              itemStyle: { color: dark ? 'rgba(255,176,32,0.6)' : 'rgba(255,125,0,0.7)', borderRadius: [3, 3, 0, 0] },
              data: placed.map((r) => (r ? r.gmv_fen / 100 : 0)),
            },
          ]
        : []),
    ],
  }
}

/** GMV per minute (bars) with the orders of the minute in the tooltip; flash sales marked. */
export function gmvChart(minutes: MinuteRow[], markers: Marker[], t: T, span?: Span): ChartOption {
  const p = palette(false)
  const rows = [...minutes].sort((a, b) => a.minute - b.minute)
  const axis = minuteAxis(rows, span)
  const placed = onAxis(axis, rows)
  const flash = markers.filter((m) => m.kind === 'flash_sale')
  return {
    grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
    tooltip: {
      ...tooltipBase(p),
      trigger: 'axis',
      formatter: (params: unknown) => {
        const i = ((Array.isArray(params) ? params[0] : params) as { dataIndex: number }).dataIndex
        const row = placed[i]
        const lines = [`<b>${formatMinute(axis[i])}</b>`]
        if (row) {
          lines.push(
            `${esc(t('console.analytics.chart.gmv'))}: <b>${formatFen(row.gmv_fen)}</b>`,
            `${esc(t('console.analytics.chart.orders'))}: ${row.orders} · ${esc(t('console.analytics.chart.paidOrders'))}: ${row.paid_orders}`,
          )
        }
        return [...lines, ...markerLines(flash, axis[i], t, p, false)].join('<br/>')
      },
    },
    xAxis: minuteXAxis(axis, p, 12),
    yAxis: { type: 'value', name: t('console.analytics.chart.gmvYuan'), nameTextStyle: { color: p.muted, align: 'left' as const }, axisLabel: { color: p.muted }, splitLine: { lineStyle: { color: p.split } } },
    series: [
      {
        id: 'gmv',
        type: 'bar',
        name: t('console.analytics.chart.gmv'),
        barMaxWidth: 16,
        itemStyle: { color: ORANGE, borderRadius: [3, 3, 0, 0] },
        data: placed.map((r) => (r ? r.gmv_fen / 100 : 0)),
        markLine: markLines(axis, flash, t, p, false),
      },
    ],
  }
}

export function funnelStepLabel(t: T, step: string): string {
  const key = 'console.analytics.funnel.' + step
  const text = t(key)
  return text === key ? step : text
}

/**
 * The viewers at each step, widest first, labelled with the step-to-step rate. Leading steps
 * nobody reached (e.g. no impressions collected: viewers came by a link) are left out of the
 * drawing, which would otherwise start from a point; the table beside it lists every step.
 */
export function funnelChart(all: FunnelRow[], t: T): ChartOption {
  const p = palette(false)
  const firstSeen = all.findIndex((r) => r.viewers > 0)
  const rows = firstSeen > 0 ? all.slice(firstSeen) : all
  const max = Math.max(1, ...rows.map((r) => r.viewers))
  const colors = [BLUE, '#4cb4ff', PURPLE, ORANGE, '#ff768d', BRAND]
  return {
    tooltip: {
      ...tooltipBase(p),
      trigger: 'item',
      formatter: (x: unknown) => {
        const i = (x as { dataIndex: number }).dataIndex
        const r = rows[i]
        if (!r) return ''
        return [
          `<b>${esc(funnelStepLabel(t, r.step))}</b>: ${r.viewers}`,
          `${esc(t('console.analytics.funnel.rate'))}: ${formatRate(r.rate)}`,
          `${esc(t('console.analytics.funnel.overall'))}: ${formatRate(r.overall)}`,
        ].join('<br/>')
      },
    },
    series: [
      {
        id: 'funnel',
        type: 'funnel',
        sort: 'none',
        left: '2%',
        width: '56%',
        top: 8,
        bottom: 8,
        min: 0,
        max,
        minSize: '6%',
        gap: 3,
        label: {
          show: true,
          position: 'right',
          color: p.text,
          fontSize: 12,
          formatter: (x: unknown) => {
            const i = (x as { dataIndex: number }).dataIndex
            const r = rows[i]
            return r ? `${funnelStepLabel(t, r.step)}  ${r.viewers.toLocaleString('en-US')}${i > 0 && r.rate !== null ? ' · ' + formatRate(r.rate) : ''}` : ''
          },
        },
        labelLine: { show: true, length: 12, lineStyle: { color: p.axis } },
        itemStyle: { borderColor: '#fff', borderWidth: 1 },
        data: rows.map((r, i) => ({ name: funnelStepLabel(t, r.step), value: r.viewers, itemStyle: { color: colors[i % colors.length] } })),
      },
    ],
  }
}

/** Products by GMV, largest on top (at most `limit`). */
export function productRankChart(products: ReportProduct[], t: T, limit = 10): ChartOption {
  const p = palette(false)
  const rows = [...products].sort((a, b) => b.gmv_fen - a.gmv_fen).slice(0, limit)
  return {
    grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
    tooltip: {
      ...tooltipBase(p),
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (params: unknown) => {
        const i = ((Array.isArray(params) ? params[0] : params) as { dataIndex: number }).dataIndex
        const r = rows[i]
        if (!r) return ''
        return [
          `<b>${esc(r.title)}</b>`,
          `${esc(t('console.analytics.chart.gmv'))}: ${formatFen(r.gmv_fen)}`,
          `${esc(t('console.analytics.chart.orders'))}: ${r.orders} · ${esc(t('console.analytics.products.units'))}: ${r.units}`,
          `${esc(t('console.analytics.products.ctr'))}: ${formatRate(r.ctr)}`,
        ].join('<br/>')
      },
    },
    xAxis: { type: 'value', axisLabel: { color: p.muted }, splitLine: { lineStyle: { color: p.split } } },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((r) => short(r.title, 16)),
      axisLabel: { color: p.text, fontSize: 12 },
      axisLine: { lineStyle: { color: p.axis } },
      axisTick: { show: false },
    },
    series: [
      {
        id: 'gmv',
        type: 'bar',
        barMaxWidth: 18,
        itemStyle: { color: BRAND, borderRadius: [0, 4, 4, 0] },
        label: { show: true, position: 'right', color: p.muted, fontSize: 11, formatter: (x: unknown) => formatFen(rows[(x as { dataIndex: number }).dataIndex]?.gmv_fen ?? 0) },
        data: rows.map((r) => r.gmv_fen / 100),
      },
    ],
  }
}

/** How many viewers stayed how long (the server's buckets, in its order). */
export function watchChart(buckets: WatchBucket[], t: T): ChartOption {
  const p = palette(false)
  return {
    grid: { left: 8, right: 8, top: 28, bottom: 8, containLabel: true },
    tooltip: { ...tooltipBase(p), trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'category', data: buckets.map((b) => b.label), axisLabel: { color: p.muted, interval: 0 }, axisLine: { lineStyle: { color: p.axis } } },
    yAxis: {
      type: 'value',
      name: t('console.analytics.chart.viewers'),
      minInterval: 1,
      nameTextStyle: { color: p.muted, align: 'left' as const },
      axisLabel: { color: p.muted },
      splitLine: { lineStyle: { color: p.split } },
    },
    series: [
      {
        id: 'viewers',
        type: 'bar',
        name: t('console.analytics.chart.viewers'),
        barMaxWidth: 36,
        itemStyle: { color: BLUE, borderRadius: [4, 4, 0, 0] },
        label: { show: true, position: 'top', color: p.muted, fontSize: 11 },
        data: buckets.map((b) => b.viewers),
      },
    ],
  }
}

export const TIME_GROUPS: TrendBy[] = ['day', 'week', 'month']

/** A line over time (day/week/month) or bars per host, product or channel, of one metric. */
export function trendChart(rows: TrendRow[], by: TrendBy, metric: TrendKey, t: T, lang: string, metricName: string): ChartOption {
  const p = palette(false)
  const timeLike = TIME_GROUPS.includes(by)
  const data = rows.map((r) => chartValue(metric, trendValue(r, metric)))
  const labels = rows.map((r) => r.label || r.key)
  return {
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    tooltip: {
      ...tooltipBase(p),
      trigger: 'axis',
      axisPointer: { type: timeLike ? 'line' : 'shadow' },
      formatter: (params: unknown) => {
        const i = ((Array.isArray(params) ? params[0] : params) as { dataIndex: number }).dataIndex
        const r = rows[i]
        if (!r) return ''
        return [
          `<b>${esc(r.label || r.key)}</b>`,
          `${esc(metricName)}: <b>${esc(formatMetric(metric, trendValue(r, metric), lang))}</b>`,
          `${esc(t('console.analytics.trend.sessions'))}: ${r.sessions}`,
        ].join('<br/>')
      },
    },
    xAxis: {
      type: 'category',
      data: timeLike ? labels : labels.map((l) => short(l, 10)),
      boundaryGap: !timeLike,
      axisLabel: { color: p.muted, hideOverlap: true, rotate: !timeLike && rows.length > 6 ? 30 : 0 },
      axisLine: { lineStyle: { color: p.axis } },
    },
    yAxis: { type: 'value', name: metricName + axisUnit(metric, t), nameTextStyle: { color: p.muted, align: 'left' as const }, axisLabel: { color: p.muted }, splitLine: { lineStyle: { color: p.split } } },
    series: [
      timeLike
        ? {
            id: 'trend',
            type: 'line',
            name: metricName,
            smooth: 0.2,
            connectNulls: true,
            symbolSize: 7,
            lineStyle: { width: 2.5, color: BRAND },
            itemStyle: { color: BRAND },
            areaStyle: { color: 'rgba(255,59,92,0.08)' },
            data,
          }
        : {
            id: 'trend',
            type: 'bar',
            name: metricName,
            barMaxWidth: 36,
            itemStyle: { color: BLUE, borderRadius: [4, 4, 0, 0] },
            data,
          },
    ],
  }
}

function axisUnit(metric: TrendKey, t: T): string {
  const kind = metricKind(metric)
  if (kind === 'money') return ' (' + t('console.analytics.unit.yuan') + ')'
  if (kind === 'rate') return ' (%)'
  if (kind === 'duration') return ' (' + t('console.analytics.unit.seconds') + ')'
  return ''
}
