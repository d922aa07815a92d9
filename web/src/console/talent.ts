// 主播招聘、档案、培训与考核 (docs/hosts.md): the API's shapes under /candidates, /interviews,
// /talent/config, /host-profiles, /hosts/{id}/…, /hosts/records, /courses and /coaching, and the
// small pure helpers the pages share (weighted scores as the server computes them, periods, the
// assessment trend chart). Field names are the server's (snake_case).
import { api } from '@shared/api'
import type { ChartOption } from './analytics/echarts'
import { BLUE, BRAND, GREEN, ORANGE, PURPLE } from './analytics/charts'

export const CRITERIA = ['image', 'expression', 'adaptability', 'product_knowledge', 'rapport'] as const
export type Criterion = (typeof CRITERIA)[number]
export type Scores = Record<Criterion, number>

export const ROUNDS = ['initial', 'second', 'final'] as const
export type Round = (typeof ROUNDS)[number]
export const STAGES = ['initial', 'second', 'final', 'hired', 'rejected'] as const
export type Stage = (typeof STAGES)[number]
export const DECISIONS = ['advance', 'hire', 'reject'] as const
export type DecisionKind = (typeof DECISIONS)[number]

export const SCORE_MIN = 1
export const SCORE_MAX = 10
/** An assessment criterion scored below this becomes a coaching item (ops/src/training.rs). */
export const COACHING_BELOW = 6
/** The longest interview the server books (4 hours). */
export const MAX_INTERVIEW_MINUTES = 240

export const TOPICS = ['culture_brand', 'product_knowledge', 'communication', 'live_skills', 'emergency'] as const
export const DELIVERY = ['classroom', 'online', 'live_practice'] as const
export const MATERIAL_KINDS = ['text', 'link', 'file'] as const
export const VERIFICATION = ['unverified', 'submitted', 'verified', 'rejected'] as const
export const CONTRACT_STATUSES = ['active', 'expiring', 'expired', 'none'] as const

/** Suggestions for the free-text categories and sources (the server takes any words). */
export const CATEGORY_SUGGESTIONS = ['美妆', '服饰', '数码', '食品', '家居', '母婴', '运动']
export const SOURCE_SUGGESTIONS = ['招聘网站', '内推', 'MCN 机构', '社交媒体', '校园招聘']

/** The course topic that trains each criterion (ops/src/training.rs `topic_for`). */
export const TOPIC_FOR: Record<Criterion, Topic> = {
  image: 'live_skills',
  expression: 'communication',
  adaptability: 'emergency',
  product_knowledge: 'product_knowledge',
  rapport: 'communication',
}

export function isRound(stage: string): stage is Round {
  return (ROUNDS as readonly string[]).includes(stage)
}

// ---------- recruitment ----------

export interface TalentConfig {
  /** Percent per criterion, adding up to 100. */
  weights: Record<string, number>
  /** The weighted average (1–10) each round needs. */
  thresholds: Record<string, number>
}

export interface ScoreSheet {
  round: Round
  interviewer_id: number
  interviewer: string
  scores: Record<string, number>
  weighted: number
  notes: string
  scored_at: string
}

export interface Decision {
  round: Round
  decision: DecisionKind
  reason: string
  average: number
  decided_by: string
  decided_at: string
}

export interface Interview {
  id: number
  candidate_id: number
  candidate: string
  round: Round
  interviewer_id: number
  interviewer: string
  starts_at: string
  ends_at: string
  place: string
}

export interface LogEntry {
  action: string
  detail: Record<string, unknown> | null
  actor: string | null
  at: string
}

export interface Candidate {
  id: number
  name: string
  /** Personal data: talent managers only (null otherwise). */
  phone: string | null
  email: string | null
  cv_url: string | null
  video_url: string | null
  categories: string[]
  source: string
  stage: Stage
  host_account_id: number | null
  anonymised: boolean
  average: number | null
  sheets: ScoreSheet[]
  decisions: Decision[]
  interviews: Interview[]
  log: LogEntry[]
  personal_hidden: boolean
  created_at: string
  updated_at: string
}

export interface Board {
  items: Candidate[]
  counts: Record<string, number>
}

export interface CandidateInput {
  name: string
  phone: string | null
  email: string | null
  cv_url: string | null
  video_url: string | null
  categories: string[]
  source: string
  consent: boolean
}

export interface HostAccountInput {
  username: string
  nickname: string
  password: string
}

// ---------- host profiles and records ----------

export type Verification = (typeof VERIFICATION)[number]
export type ContractStatus = (typeof CONTRACT_STATUSES)[number]

export interface HostProfile {
  account_id: number
  username: string
  nickname: string
  /** Talent managers and the host themself only (null otherwise). */
  real_name: string | null
  verification: Verification
  verification_note: string
  verified_by: string | null
  verified_at: string | null
  categories: string[]
  contract_start: string | null
  contract_end: string | null
  contract_status: ContractStatus
  days_left: number | null
  candidate_id: number | null
  disabled: boolean
}

export interface ProfileInput {
  real_name: string
  verification: Verification
  verification_note: string
  categories: string[]
  contract_start: string | null
  contract_end: string | null
}

export interface HostRecord {
  host_id: number
  name: string
  sessions: number
  small_sample: boolean
  hours_live: number
  gmv_fen: number
  avg_viewers: number | null
  peak_viewers: number
  conversion: number | null
  avg_watch_ms: number | null
  compliance_hits: number
  scripted_sessions: number
  verification: Verification
  contract_status: ContractStatus
  courses_completed: number
  assessed_period: string | null
  assessment: number | null
  rank: number
}

export interface HostRecords {
  from: string
  to: string
  sort: string
  items: HostRecord[]
}

/** What the ranking sorts by (the server's `sort`). */
export const RECORD_SORTS = [
  'sessions',
  'hours_live',
  'gmv_fen',
  'avg_viewers',
  'peak_viewers',
  'conversion',
  'avg_watch_ms',
  'compliance_hits',
  'assessment',
] as const
export type RecordSort = (typeof RECORD_SORTS)[number]

// ---------- training ----------

export type Topic = (typeof TOPICS)[number]
export type Delivery = (typeof DELIVERY)[number]
export type MaterialKind = (typeof MATERIAL_KINDS)[number]

export interface Material {
  kind: MaterialKind
  title: string
  /** The text itself, or the URL. */
  content: string
}

export interface Enrolment {
  course_id: number
  course: string
  topic: Topic
  host_id: number
  host: string
  enrolled_at: string
  attended_at: string | null
  completed_at: string | null
}

export interface Course {
  id: number
  title: string
  topic: Topic
  delivery: Delivery
  description: string
  materials: Material[]
  starts_at: string | null
  ends_at: string | null
  enrolments: Enrolment[]
}

export interface CourseInput {
  title: string
  topic: Topic
  delivery: Delivery
  description: string
  materials: Material[]
  starts_at: string | null
  ends_at: string | null
}

export interface CoachingItem {
  id: number
  assessment_id: number
  period: string
  criterion: Criterion
  /** The server's English sentence; the page says it in its own words. */
  text: string
  course_id: number | null
  course: string | null
  done_at: string | null
}

export interface Assessment {
  id: number
  host_id: number
  period: string
  assessor: string
  scores: Record<string, number>
  overall: number
  notes: string
  created_at: string
}

export interface AssessmentHistory {
  /** Oldest first. */
  items: Assessment[]
  coaching: CoachingItem[]
  /** Change of the overall score from the previous period to the latest. */
  trend: number | null
}

// ---------- live practice (docs/hosts.md, "Live practice") ----------

/** What a trainer scores in a practice show (ops/src/practice.rs PRACTICE_CRITERIA). */
export const PRACTICE_CRITERIA = ['opening', 'product_pitch', 'interaction', 'pacing', 'emergency'] as const
export type PracticeCriterion = (typeof PRACTICE_CRITERIA)[number]
export type PracticeScores = Record<PracticeCriterion, number>
/** The most products a practice bag takes (routes/practice.rs MAX_PRODUCTS). */
export const PRACTICE_MAX_PRODUCTS = 20
/** The server's bound on a scorecard's notes. */
export const PRACTICE_NOTES_MAX = 2000

export interface PracticeScorecard {
  id: number
  trainer_id: number
  trainer: string
  scores: Record<string, number>
  /** The mean of the scores, 1–10. */
  overall: number
  notes: string
  created_at: string
  updated_at: string
}

/** What the room's event log shows of the show. */
export interface RoomEvidence {
  /** Accounts that entered the room, the trainee included. */
  participants: number
  chat_messages: number
  /** Of which the trainee's own. */
  host_messages: number
  pins: number
  polls: number
  lotteries: number
  questions: number
  questions_answered: number
  /** From going live to the end (or now while live). */
  minutes_live: number | null
}

export interface PracticeSession {
  session_id: number
  title: string
  state: 'scheduled' | 'live' | 'ended' | 'cancelled'
  course_id: number
  course: string
  host_id: number | null
  host: string | null
  scheduled_start: string
  scheduled_end: string
  started_at: string | null
  ended_at: string | null
  scorecards: PracticeScorecard[]
  /** The mean of the trainers' overall scores, once scored. */
  overall: number | null
  /** Only on a single practice session. */
  room?: RoomEvidence
}

export interface PracticeInput {
  host_id: number
  /** Left out: the course's title with "（带播练习）". */
  title?: string
  scheduled_start: string
  scheduled_end: string
  product_ids: number[]
}

// ---------- the API ----------

export const talentApi = {
  config: () => api.get<TalentConfig>('/talent/config'),
  saveConfig: (c: TalentConfig) => api.put<TalentConfig>('/talent/config', c),
  board: () => api.get<Board>('/candidates'),
  candidate: (id: number | string) => api.get<Candidate>(`/candidates/${id}`),
  createCandidate: (c: CandidateInput) => api.post<Candidate>('/candidates', c),
  updateCandidate: (id: number, c: CandidateInput) => api.put<Candidate>(`/candidates/${id}`, c),
  removeCandidate: (id: number) => api.del<{ deleted: boolean; anonymised: boolean }>(`/candidates/${id}`),
  schedule: (id: number, body: { interviewer_id: number; starts_at: string; ends_at: string; place: string }) =>
    api.post<Interview>(`/candidates/${id}/interviews`, body),
  score: (id: number, body: { scores: Scores; notes: string }) => api.post<ScoreSheet>(`/candidates/${id}/scores`, body),
  decide: (id: number, body: { decision: DecisionKind; reason: string; host_account?: HostAccountInput }) =>
    api.post<Candidate>(`/candidates/${id}/decisions`, body),
  myInterviews: () => api.get<{ items: Interview[] }>('/interviews/mine'),
  profiles: () => api.get<{ items: HostProfile[] }>('/host-profiles'),
  profile: (id: number | string) => api.get<HostProfile>(`/host-profiles/${id}`),
  saveProfile: (id: number, p: ProfileInput) => api.put<HostProfile>(`/host-profiles/${id}`, p),
  records: (q: { from?: string; to?: string; sort?: string; order?: string }) => api.get<HostRecords>('/hosts/records', q),
  courses: () => api.get<{ items: Course[] }>('/courses'),
  course: (id: number | string) => api.get<Course>(`/courses/${id}`),
  createCourse: (c: CourseInput) => api.post<Course>('/courses', c),
  updateCourse: (id: number, c: CourseInput) => api.put<Course>(`/courses/${id}`, c),
  deleteCourse: (id: number) => api.del(`/courses/${id}`),
  enrol: (id: number, hostIds: number[]) => api.post<Course>(`/courses/${id}/enrolments`, { host_ids: hostIds }),
  attend: (id: number, hostId: number, body: { attended: boolean; completed: boolean }) =>
    api.put<Course>(`/courses/${id}/enrolments/${hostId}`, body),
  training: (hostId: number | string) => api.get<{ items: Enrolment[] }>(`/hosts/${hostId}/training`),
  assessments: (hostId: number | string) => api.get<AssessmentHistory>(`/hosts/${hostId}/assessments`),
  assess: (hostId: number, body: { period: string; scores: Scores; notes: string }) =>
    api.post<AssessmentHistory>(`/hosts/${hostId}/assessments`, body),
  coachingDone: (id: number, done: boolean) => api.put<AssessmentHistory>(`/coaching/${id}`, { done }),
  practiceList: (q: { course_id?: number | string; host_id?: number | string }) => api.get<{ items: PracticeSession[] }>('/practice', q),
  practice: (sessionId: number | string) => api.get<PracticeSession>(`/practice/${sessionId}`),
  createPractice: (courseId: number, body: PracticeInput) => api.post<PracticeSession>(`/courses/${courseId}/practice`, body),
  scorePractice: (sessionId: number, body: { scores: PracticeScores; notes: string }) =>
    api.put<PracticeSession>(`/practice/${sessionId}/scorecard`, body),
}

// ---------- helpers ----------

/** Every criterion at `v`. */
export function evenScores(v = 7): Scores {
  return Object.fromEntries(CRITERIA.map((c) => [c, v])) as Scores
}

/** A sheet's weighted score as the server rounds it (hundredths, half up), 1–10. */
export function weightedScore(scores: Partial<Record<string, number>>, weights: Record<string, number>): number {
  const total = Object.values(weights).reduce((a, b) => a + b, 0)
  if (!total) return 0
  const sum = Object.entries(weights).reduce((a, [c, w]) => a + (scores[c] ?? 0) * w * 100, 0)
  return Math.floor((sum + Math.floor(total / 2)) / total) / 100
}

/** Every practice criterion at `v`. */
export function evenPracticeScores(v = 7): PracticeScores {
  return Object.fromEntries(PRACTICE_CRITERIA.map((c) => [c, v])) as PracticeScores
}

/** A scorecard's overall as the server rounds it: the mean of the criteria, in hundredths. */
export function practiceMean(scores: Partial<Record<string, number>>): number {
  const sum = PRACTICE_CRITERIA.reduce((a, c) => a + (scores[c] ?? 0), 0)
  const n = PRACTICE_CRITERIA.length
  return Math.floor((sum * 100 + Math.floor(n / 2)) / n) / 100
}

export function formatScore(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits)
}

/** "2026-11" or "2026-Q4", as the server accepts. */
export function periodOk(p: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/.test(p)
}

/** The month before today's (in the brand's time zone), "YYYY-MM": what is assessed by default. */
export function lastMonth(now = new Date(), tz = 'Asia/Shanghai'): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit' }).formatToParts(now)
  const y = Number(parts.find((p) => p.type === 'year')?.value)
  const m = Number(parts.find((p) => p.type === 'month')?.value)
  const [py, pm] = m === 1 ? [y - 1, 12] : [y, m - 1]
  return `${py}-${String(pm).padStart(2, '0')}`
}

/** Booked interviewers of `round` without a sheet for it (names, once each). */
export function missingSheets(c: Candidate, round: string): { id: number; name: string }[] {
  const out: { id: number; name: string }[] = []
  for (const i of c.interviews) {
    if (i.round !== round) continue
    if (out.some((o) => o.id === i.interviewer_id)) continue
    if (c.sheets.some((s) => s.round === round && s.interviewer_id === i.interviewer_id)) continue
    out.push({ id: i.interviewer_id, name: i.interviewer })
  }
  return out
}

type T = (key: string, params?: Record<string, unknown>) => string

const CRITERION_COLORS = [BLUE, ORANGE, GREEN, PURPLE, '#14c9c9']

/** The assessments over their periods: the overall score bold, each criterion thin. */
export function assessmentChart(items: Assessment[], t: T): ChartOption {
  const periods = items.map((a) => a.period)
  const muted = '#86909c'
  return {
    color: [BRAND, ...CRITERION_COLORS],
    grid: { left: 8, right: 16, top: 44, bottom: 8, containLabel: true },
    legend: { top: 0, icon: 'roundRect', itemWidth: 12, itemHeight: 4, textStyle: { color: muted, fontSize: 12 } },
    tooltip: {
      trigger: 'axis',
      confine: true,
      backgroundColor: 'rgba(255,255,255,0.96)',
      borderColor: 'transparent',
      textStyle: { color: '#1f2329', fontSize: 12 },
      extraCssText: 'box-shadow: 0 6px 20px rgba(0,0,0,.12); border-radius: 8px;',
    },
    xAxis: { type: 'category', data: periods, boundaryGap: periods.length < 2, axisLabel: { color: muted }, axisLine: { lineStyle: { color: '#c9cdd4' } } },
    yAxis: {
      type: 'value',
      min: 0,
      max: 10,
      interval: 2,
      axisLabel: { color: muted },
      splitLine: { lineStyle: { color: '#f0f1f3' } },
    },
    series: [
      {
        id: 'overall',
        type: 'line',
        name: t('console.talent.overall'),
        data: items.map((a) => a.overall),
        symbolSize: 8,
        lineStyle: { width: 3 },
        z: 3,
        markLine: {
          silent: true,
          symbol: 'none',
          lineStyle: { color: '#f53f3f', type: 'dashed', width: 1 },
          label: { formatter: t('console.talent.coachingLine'), color: '#f53f3f', fontSize: 11, position: 'insideEndTop' },
          data: [{ yAxis: COACHING_BELOW }],
        },
      },
      ...CRITERIA.map((c) => ({
        id: c,
        type: 'line' as const,
        name: t('console.talent.criterion.' + c),
        data: items.map((a) => a.scores[c] ?? null),
        symbolSize: 5,
        lineStyle: { width: 1.5 },
        connectNulls: true,
      })),
    ],
  }
}
