// ECharts with only what the console draws (line, bar, funnel; grid, tooltip, legend, marker lines
// and points; the radar of 选平台), so the bundle stays small. Imported by the lazily loaded pages only.
import { use, init, type ECharts, type ComposeOption } from 'echarts/core'
import {
  BarChart,
  FunnelChart,
  LineChart,
  RadarChart,
  type BarSeriesOption,
  type FunnelSeriesOption,
  type LineSeriesOption,
  type RadarSeriesOption,
} from 'echarts/charts'
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  MarkPointComponent,
  RadarComponent,
  TooltipComponent,
  type GridComponentOption,
  type LegendComponentOption,
  type MarkLineComponentOption,
  type MarkPointComponentOption,
  type RadarComponentOption,
  type TooltipComponentOption,
} from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

use([
  LineChart,
  BarChart,
  FunnelChart,
  RadarChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  MarkPointComponent,
  RadarComponent,
  TooltipComponent,
  CanvasRenderer,
])

export type ChartOption = ComposeOption<
  | LineSeriesOption
  | BarSeriesOption
  | FunnelSeriesOption
  | RadarSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | MarkLineComponentOption
  | MarkPointComponentOption
  | RadarComponentOption
  | TooltipComponentOption
>

export { init, type ECharts }
