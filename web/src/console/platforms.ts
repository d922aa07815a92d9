// 选平台 (platform choice, plan §3; docs/platforms.md): the API's shapes under /api/v1/platforms and
// the plain logic of the page (the answers, a profile as the PUT takes it, the radar chart).
import type { ChartOption } from './analytics/echarts'

/** What a platform is scored on, 1 (poor) to 5 (strong); the server sends the same list. */
export const CRITERIA = [
  'user_base',
  'young_users',
  'mature_users',
  'shopping_intent',
  'supply_chain',
  'new_host_traffic',
  'interaction',
  'rules_ease',
  'data_access',
] as const

export interface Score {
  /** 1 (poor) to 5 (strong). */
  score: number
  note: string
}

export interface Source {
  title: string
  url?: string | null
  note: string
}

/** A profile as PUT /platforms/{platform} takes it. */
export interface ProfileInput {
  platform: string
  name: string
  scores: Record<string, Score>
  sources: Source[]
}

export interface Profile extends ProfileInput {
  updated_at: string
}

export interface ProfileList {
  items: Profile[]
  criteria: string[]
}

// ----- the brand's answers -----

export const AUDIENCES = ['young', 'mixed', 'mature'] as const
export const BRAND_STYLES = ['premium', 'value', 'entertaining', 'community'] as const
export const SUPPLY_CHAINS = ['weak', 'medium', 'strong'] as const
export const HOST_EXPERIENCES = ['new', 'some', 'experienced'] as const
export const BUDGETS = ['low', 'medium', 'high'] as const

export interface Answers {
  audience: (typeof AUDIENCES)[number]
  brand_style: (typeof BRAND_STYLES)[number]
  supply_chain: (typeof SUPPLY_CHAINS)[number]
  host_experience: (typeof HOST_EXPERIENCES)[number]
  budget: (typeof BUDGETS)[number]
}

export type Question = keyof Answers

/** The questionnaire, in order, with each question's choices. */
export const QUESTIONS: { key: Question; options: readonly string[] }[] = [
  { key: 'audience', options: AUDIENCES },
  { key: 'brand_style', options: BRAND_STYLES },
  { key: 'supply_chain', options: SUPPLY_CHAINS },
  { key: 'host_experience', options: HOST_EXPERIENCES },
  { key: 'budget', options: BUDGETS },
]

/** What the page assesses on load: a mixed audience, a value brand, middling everything else. */
export const DEFAULT_ANSWERS: Answers = {
  audience: 'mixed',
  brand_style: 'value',
  supply_chain: 'medium',
  host_experience: 'some',
  budget: 'medium',
}

/** The highest extra weight per criterion the server takes. */
export const MAX_EXTRA_WEIGHT = 5

/** The answers in one string (`young,entertaining,weak,new,low`), to tell assessments apart. */
export function answersKey(a: Answers): string {
  return QUESTIONS.map((q) => a[q.key]).join(',')
}

// ----- the assessment -----

export interface Weight {
  criterion: string
  weight: number
  /** English sentences from the server, e.g. "+2 your audience is young". */
  reasons: string[]
}

export interface Line {
  criterion: string
  score: number
  weight: number
  /** score × weight */
  points: number
  note: string
}

export interface Measured {
  sessions: number
  uv: number
  paid_orders: number
  gmv_fen: number
  gmv_per_session_fen: number | null
  /** Paying viewers ÷ UV (0–1). */
  conversion: number | null
}

export interface Ranked {
  platform: string
  name: string
  /** 0–100: Σ score × weight ÷ (5 × Σ weight) × 100. */
  total: number
  lines: Line[]
  measured: Measured | null
}

export interface Assessment {
  weights: Weight[]
  ranking: Ranked[]
  mix: { platforms: string[]; why: string }
  measured_notes: string[]
}

/** Fewer ended sessions than this and the measured figures are shown as a small sample. */
export const SMALL_SAMPLE = 3

/** The weight a criterion gets for counting heavily (the mix looks for gaps there). */
export const HEAVY_WEIGHT = 2

// ----- editing a profile -----

export const MAX_NOTE_CHARS = 200
export const MAX_SOURCES = 20
export const MAX_SOURCE_TITLE = 200
export const MAX_SOURCE_NOTE = 500
export const MAX_NAME_CHARS = 60

/** Characters as the server counts them (Unicode code points). */
export function countChars(s: string): number {
  return [...s].length
}

export function isHttpUrl(s: string): boolean {
  return /^https?:\/\/\S+$/i.test(s) && s.length <= 500
}

// ----- the radar chart of the leaders' scores -----

const RADAR_COLORS = ['#ff3b5c', '#ff7d00', '#3491fa']
/** Colours for the third and later platforms that are not in the mix, so the radar's lines differ. */
const OTHER_COLORS = ['#3491fa', '#722ed1', '#00b42a']

/**
 * The scores (1–5) of the first `top` ranked platforms on every criterion, as a radar; `colorOf`
 * gives a platform the colour it has elsewhere on the page.
 */
export function radarOption(
  ranking: Ranked[],
  criteria: readonly string[],
  label: (c: string) => string,
  colorOf?: (platform: string) => string,
  top = 3,
): ChartOption {
  const leaders = ranking.slice(0, top)
  const used = new Set<string>()
  let other = 0
  const colors = leaders.map((r, i) => {
    let c = colorOf ? colorOf(r.platform) : RADAR_COLORS[i % RADAR_COLORS.length]
    // two platforms outside the mix would share a colour: the second takes the next one
    while (used.has(c) && other < OTHER_COLORS.length) c = OTHER_COLORS[other++]
    used.add(c)
    return c
  })
  return {
    color: colors,
    tooltip: {
      trigger: 'item',
      confine: true,
      backgroundColor: 'rgba(255,255,255,0.96)',
      borderColor: 'transparent',
      textStyle: { color: '#1f2329', fontSize: 12 },
      extraCssText: 'box-shadow: 0 6px 20px rgba(0,0,0,.12); border-radius: 8px;',
    },
    legend: { bottom: 0, icon: 'circle', itemWidth: 8, itemHeight: 8, textStyle: { color: '#4e5969', fontSize: 12 } },
    radar: {
      center: ['50%', '48%'],
      radius: '62%',
      indicator: criteria.map((c) => ({ name: label(c), max: 5, min: 0 })),
      splitNumber: 5,
      axisName: { color: '#4e5969', fontSize: 11 },
      splitLine: { lineStyle: { color: '#e5e6eb' } },
      splitArea: { areaStyle: { color: ['#fafbfc', '#fff'] } },
      axisLine: { lineStyle: { color: '#e5e6eb' } },
    },
    series: [
      {
        id: 'scores',
        type: 'radar',
        symbolSize: 4,
        areaStyle: { opacity: 0.12 },
        lineStyle: { width: 2 },
        // each platform's colour set on its own line, so it does not depend on the palette's order
        data: leaders.map((r, i) => ({
          name: r.name || r.platform,
          value: criteria.map((c) => r.lines.find((l) => l.criterion === c)?.score ?? 0),
          itemStyle: { color: colors[i] },
          lineStyle: { color: colors[i], width: 2 },
          areaStyle: { color: colors[i], opacity: 0.12 },
        })),
      },
    ],
  }
}
