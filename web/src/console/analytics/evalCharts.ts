// ECharts options of the evaluation pages: the GMV waterfall (before → UV → conversion → AOV →
// after), the correlation scatter with its fitted line, the correlation matrix as a heatmap and
// the credited GMV of attribution as a donut. Pure functions of the API's figures and a translator.

import { formatFen } from '@shared/format'
import type { ChartOption } from './echarts'
import { BLUE, BRAND, GREEN, ORANGE, PURPLE } from './charts'
import { axisValue, evalMetricName, formatCoef, formatLevel, pLabel, type CorrelationMatrix, type CorrelationReport, type Decomposition } from './evaluation'
import { metricKind } from './metrics'

type T = (key: string, params?: Record<string, unknown>) => string

const TEXT = '#1f2329'
const MUTED = '#86909c'
const AXIS = '#c9cdd4'
const SPLIT = '#f0f1f3'
const RED = '#f53f3f'
const GREY = '#c9cdd4'

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

/** ¥ with a sign, for a factor's part of the change. */
function signedFen(v: number): string {
  return (v < 0 ? '−' : v > 0 ? '+' : '±') + formatFen(Math.abs(v))
}

/** Yuan on an axis: "¥1.2万" (zh) / "¥12k" (en) for big figures. */
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

/**
 * The GMV change as a waterfall: GMV before, each factor's part floating from the running total,
 * GMV after. Bars that cross zero are split at it (ECharts stacks each sign on its own side).
 */
export function waterfallChart(d: Decomposition, t: T, lang: string, split = true): ChartOption {
  const yuan = (fen: number) => Math.round(fen) / 100
  // without viewers on one side the change cannot be split: one bar for the whole of it
  const parts = split
    ? [
        { key: 'uv', label: t('console.evaluation.compare.factor.uv'), value: d.uv_effect_fen, total: false },
        { key: 'conversion', label: t('console.evaluation.compare.factor.conversion'), value: d.conversion_effect_fen, total: false },
        { key: 'aov', label: t('console.evaluation.compare.factor.aov'), value: d.aov_effect_fen, total: false },
      ]
    : [{ key: 'change', label: t('console.evaluation.compare.waterfall.unsplit'), value: d.change_fen, total: false }]
  const steps: { key: string; label: string; value: number; total: boolean }[] = [
    { key: 'before', label: t('console.evaluation.compare.waterfall.before'), value: d.before.gmv_fen, total: true },
    ...parts,
    { key: 'after', label: t('console.evaluation.compare.waterfall.after'), value: d.after.gmv_fen, total: true },
  ]
  const base: number[] = []
  const pos: { value: number; itemStyle: { color: string }; label?: object }[] = []
  const neg: { value: number; itemStyle: { color: string }; label?: object }[] = []
  let running = 0
  for (const s of steps) {
    const [a, b] = s.total ? [0, yuan(s.value)] : [running, running + yuan(s.value)]
    running = s.total ? yuan(s.value) : b
    const lo = Math.min(a, b)
    const hi = Math.max(a, b)
    const color = s.total ? (s.key === 'before' ? '#86909c' : BLUE) : s.value > 0 ? GREEN : s.value < 0 ? RED : GREY
    const text = s.total ? formatFen(s.value) : signedFen(s.value)
    const label = { show: true, position: s.value < 0 && !s.total ? ('bottom' as const) : ('top' as const), formatter: () => text, color: TEXT, fontSize: 12, fontWeight: 600 as const }
    if (lo >= 0) {
      base.push(lo)
      pos.push({ value: hi - lo, itemStyle: { color }, label })
      neg.push({ value: 0, itemStyle: { color } })
    } else if (hi <= 0) {
      base.push(hi)
      pos.push({ value: 0, itemStyle: { color } })
      neg.push({ value: lo - hi, itemStyle: { color }, label: { ...label, position: 'bottom' } })
    } else {
      base.push(0)
      pos.push({ value: hi, itemStyle: { color }, label })
      neg.push({ value: lo, itemStyle: { color } })
    }
  }
  return {
    animationDurationUpdate: 300,
    grid: { left: 8, right: 16, top: 34, bottom: 8, containLabel: true },
    tooltip: {
      ...tooltipBase(),
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (params: unknown) => {
        const i = ((Array.isArray(params) ? params[0] : params) as { dataIndex: number }).dataIndex
        const s = steps[i]
        const lines = [`<b>${esc(s.label)}</b>`, s.total ? formatFen(s.value) : signedFen(s.value)]
        if (split && !s.total && d.change_fen !== 0) lines.push(esc(t('console.evaluation.compare.waterfall.shareOfChange', { share: ((s.value / d.change_fen) * 100).toFixed(0) + '%' })))
        return lines.join('<br/>')
      },
    },
    xAxis: {
      type: 'category',
      data: steps.map((s) => s.label),
      axisLine: { lineStyle: { color: AXIS } },
      axisTick: { show: false },
      axisLabel: { color: TEXT, fontSize: 12, interval: 0 },
    },
    yAxis: { type: 'value', axisLabel: { color: MUTED, formatter: (v: number) => yuanAxis(v, lang) }, splitLine: { lineStyle: { color: SPLIT } } },
    series: [
      { id: 'base', type: 'bar', stack: 'w', silent: true, itemStyle: { color: 'transparent' }, emphasis: { disabled: true }, data: base, barMaxWidth: 64 },
      { id: 'pos', type: 'bar', stack: 'w', data: pos, barMaxWidth: 64 },
      { id: 'neg', type: 'bar', stack: 'w', data: neg, barMaxWidth: 64 },
    ],
  }
}

function metricLabel(key: string, t: T): string {
  return evalMetricName(t, key)
}

function unitSuffix(key: string, t: T): string {
  switch (metricKind(key)) {
    case 'money':
      return ' (' + t('console.analytics.unit.yuan') + ')'
    case 'rate':
      return ' (%)'
    case 'duration':
      return ' (' + t('console.analytics.unit.seconds') + ')'
    default:
      return ''
  }
}

/** Sessions as points (x, y in the axis units), the least-squares line across them. */
export function scatterChart(r: CorrelationReport, t: T, lang: string): ChartOption {
  const xs = r.points.map((p) => p.x)
  const line =
    r.line && xs.length >= 2
      ? (() => {
          const lo = Math.min(...xs)
          const hi = Math.max(...xs)
          const l = r.line!
          return [
            [axisValue(r.x, lo), axisValue(r.y, l.slope * lo + l.intercept)],
            [axisValue(r.x, hi), axisValue(r.y, l.slope * hi + l.intercept)],
          ]
        })()
      : null
  const xName = metricLabel(r.x, t) + unitSuffix(r.x, t)
  const yName = metricLabel(r.y, t) + unitSuffix(r.y, t)
  return {
    animationDurationUpdate: 300,
    grid: { left: 12, right: 28, top: 40, bottom: 32, containLabel: true },
    tooltip: {
      ...tooltipBase(),
      trigger: 'item',
      formatter: (params: unknown) => {
        const p = params as { seriesId: string; dataIndex: number }
        if (p.seriesId !== 'points') return esc(t('console.evaluation.correlation.fittedLine'))
        const pt = r.points[p.dataIndex]
        return [
          `<b>${esc(pt.title)}</b>`,
          `${esc(metricLabel(r.x, t))}: <b>${esc(formatLevel(r.x, pt.x, lang))}</b>`,
          `${esc(metricLabel(r.y, t))}: <b>${esc(formatLevel(r.y, pt.y, lang))}</b>`,
          `<span style="color:${MUTED}">${esc(t('console.evaluation.correlation.clickToOpen'))}</span>`,
        ].join('<br/>')
      },
    },
    xAxis: {
      type: 'value',
      name: xName,
      nameLocation: 'middle',
      nameGap: 28,
      nameTextStyle: { color: MUTED },
      scale: true,
      axisLabel: { color: MUTED },
      axisLine: { lineStyle: { color: AXIS } },
      splitLine: { lineStyle: { color: SPLIT } },
    },
    yAxis: {
      type: 'value',
      name: yName,
      nameTextStyle: { color: MUTED, align: 'left' },
      scale: true,
      axisLabel: { color: MUTED },
      splitLine: { lineStyle: { color: SPLIT } },
    },
    series: [
      {
        id: 'points',
        type: 'scatter',
        symbolSize: 11,
        itemStyle: { color: 'rgba(255,59,92,0.75)', borderColor: '#fff', borderWidth: 1 },
        emphasis: { itemStyle: { color: BRAND } },
        data: r.points.map((p) => [axisValue(r.x, p.x), axisValue(r.y, p.y)]),
      },
      ...(line
        ? [
            {
              id: 'line',
              type: 'line' as const,
              data: line,
              showSymbol: false,
              silent: true,
              lineStyle: { color: BLUE, width: 2, type: 'dashed' as const },
              z: 1,
            },
          ]
        : []),
    ],
  }
}

/** Spearman ρ of every pair as a heatmap (blue −1 … red +1); cells without one grey with "—". */
export function matrixChart(m: CorrelationMatrix, t: T): ChartOption {
  const names = m.metrics.map((k) => metricLabel(k, t))
  const k = m.metrics.length
  const values: [number, number, number][] = []
  const empty: [number, number, number][] = []
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const v = m.spearman[i]?.[j]
      // x: column j, y: row i
      if (v === null || v === undefined || !Number.isFinite(v)) empty.push([j, i, 0])
      else values.push([j, i, Math.round(v * 100) / 100])
    }
  }
  const cellTip = (params: unknown) => {
    const p = params as { data: [number, number, number] }
    const [j, i] = p.data
    const sp = m.spearman[i]?.[j]
    return [
      `<b>${esc(names[i])} × ${esc(names[j])}</b>`,
      `${esc(t('console.evaluation.correlation.spearman'))}: <b>${formatCoef(sp)}</b> (${esc(pLabel(m.spearman_p[i]?.[j]))})`,
      `${esc(t('console.evaluation.correlation.pearson'))}: ${formatCoef(m.pearson[i]?.[j])}`,
      `${esc(t('console.evaluation.correlation.pairs', { n: m.pairs[i]?.[j] ?? 0 }))}`,
      ...(sp === null || sp === undefined ? [`<span style="color:${MUTED}">${esc(t('console.evaluation.correlation.noCoefficient'))}</span>`] : []),
    ].join('<br/>')
  }
  return {
    grid: { left: 8, right: 16, top: 8, bottom: 56, containLabel: true },
    tooltip: { ...tooltipBase(), trigger: 'item', formatter: cellTip },
    xAxis: {
      type: 'category',
      data: names,
      axisLabel: { color: TEXT, fontSize: 11, interval: 0, rotate: 30, formatter: (v: string) => short(v, 16) },
      axisTick: { show: false },
      axisLine: { show: false },
      splitArea: { show: false },
    },
    yAxis: {
      type: 'category',
      data: names,
      inverse: true,
      axisLabel: { color: TEXT, fontSize: 11, formatter: (v: string) => short(v, 18) },
      axisTick: { show: false },
      axisLine: { show: false },
    },
    visualMap: {
      type: 'continuous',
      min: -1,
      max: 1,
      seriesIndex: 0,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      itemWidth: 12,
      itemHeight: 180,
      calculable: false,
      text: ['+1', '−1'],
      textStyle: { color: MUTED, fontSize: 11 },
      inRange: { color: ['#3491fa', '#bedaff', '#f7f8fa', '#ffc4ce', '#ff3b5c'] },
    },
    series: [
      {
        id: 'rho',
        type: 'heatmap',
        data: values,
        label: { show: true, fontSize: 11, color: TEXT, formatter: (p: unknown) => formatCoef((p as { data: [number, number, number] }).data[2]) },
        itemStyle: { borderColor: '#fff', borderWidth: 2, borderRadius: 4 },
        emphasis: { itemStyle: { borderColor: TEXT, borderWidth: 1 } },
      },
      {
        id: 'none',
        type: 'heatmap',
        data: empty,
        label: { show: true, fontSize: 11, color: MUTED, formatter: () => '—' },
        itemStyle: { color: '#f2f3f5', borderColor: '#fff', borderWidth: 2, borderRadius: 4 },
        emphasis: { itemStyle: { borderColor: TEXT, borderWidth: 1 } },
      },
    ],
  }
}

const TOUCH_COLORS: Record<string, string> = { flash_sale: ORANGE, coupon: BRAND, campaign: PURPLE, link: BLUE }
const SHADES = ['', 'cc', '99', '77', '55']

/** Credited GMV by touch, organic included, as a donut (the largest 8, the rest as one). */
export function creditChart(rows: { kind: string; name: string; credited_gmv_fen: number }[], organicFen: number, t: T): ChartOption {
  const sorted = rows.filter((r) => r.credited_gmv_fen > 0).sort((a, b) => b.credited_gmv_fen - a.credited_gmv_fen)
  const top = sorted.slice(0, 8)
  const rest = sorted.slice(8).reduce((s, r) => s + r.credited_gmv_fen, 0)
  const seen: Record<string, number> = {}
  const data = top.map((r) => {
    const n = (seen[r.kind] = (seen[r.kind] ?? -1) + 1)
    return {
      name: `${t('console.evaluation.attribution.kind.' + r.kind)} · ${r.name}`,
      value: r.credited_gmv_fen / 100,
      itemStyle: { color: (TOUCH_COLORS[r.kind] ?? MUTED) + (SHADES[n] ?? '55') },
    }
  })
  if (rest > 0) data.push({ name: t('console.evaluation.attribution.others'), value: rest / 100, itemStyle: { color: '#a9aeb8' } })
  if (organicFen > 0) data.push({ name: t('console.evaluation.attribution.organic'), value: organicFen / 100, itemStyle: { color: '#e5e6eb' } })
  return {
    tooltip: {
      ...tooltipBase(),
      trigger: 'item',
      formatter: (params: unknown) => {
        const p = params as { name: string; value: number; percent: number }
        return `<b>${esc(p.name)}</b><br/>${formatFen(Math.round(p.value * 100))} · ${p.percent.toFixed(1)}%`
      },
    },
    legend: { type: 'scroll', orient: 'horizontal', left: 'center', bottom: 0, textStyle: { color: TEXT, fontSize: 12 }, formatter: (n: string) => short(n, 26), itemWidth: 10, itemHeight: 10 },
    series: [
      {
        id: 'credit',
        type: 'pie',
        radius: ['40%', '66%'],
        center: ['50%', '45%'],
        avoidLabelOverlap: true,
        label: { show: true, formatter: '{d}%', color: TEXT, fontSize: 11 },
        labelLine: { length: 6, length2: 6 },
        itemStyle: { borderColor: '#fff', borderWidth: 2 },
        data,
      },
    ],
  }
}
