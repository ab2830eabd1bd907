// Pure transcript arithmetic: history into entries, a chat answer appended, a tool line replaced, actions merged.
import { lineFromActivity, lineFromHistory } from '../components/describe-action'
import type { AgentTurn, ConversationDetail, PendingAction, ToolLine, TranscriptEntry } from '../types/agent'

let sequence = 0
export function entryId(prefix: string): string {
  sequence += 1
  return `${prefix}-${sequence}`
}

export interface Transcript {
  /** null: a new conversation whose first message has not been answered yet. */
  conversationId: string | null
  entries: TranscriptEntry[]
  /** Actions as the page's own requests last saw them (chat answers, decisions). */
  actions: Record<string, PendingAction>
}

export const EMPTY_TRANSCRIPT: Transcript = { conversationId: null, entries: [], actions: {} }

function time(iso: string | null | undefined): number | null {
  if (!iso) return null
  const t = Date.parse(iso)
  return Number.isNaN(t) ? null : t
}

/** The stored history with each action placed where it was proposed (before the first later message). */
export function entriesFromDetail(detail: ConversationDetail): TranscriptEntry[] {
  const actions = [...detail.actions].sort((a, b) => (time(a.created_at) ?? 0) - (time(b.created_at) ?? 0))
  const entries: TranscriptEntry[] = []
  let next = 0
  detail.history.forEach((message, index) => {
    const at = time(message.at)
    while (at !== null && next < actions.length && (time(actions[next]?.created_at) ?? 0) < at) {
      const action = actions[next] as PendingAction
      entries.push({ kind: 'action', id: `action-${action.id}`, actionId: action.id })
      next += 1
    }
    if (message.role === 'user') entries.push({ kind: 'user', id: `history-${index}`, text: message.content })
    else if (message.role === 'assistant') entries.push({ kind: 'agent', id: `history-${index}`, text: message.content })
    else entries.push({ kind: 'tool', id: `history-${index}`, line: lineFromHistory(message, index) })
  })
  for (const action of actions.slice(next)) entries.push({ kind: 'action', id: `action-${action.id}`, actionId: action.id })
  return entries
}

/** Add a tool line, or replace the line of the same call (a later status, or the answer's fuller wording). */
export function upsertLine(entries: TranscriptEntry[], line: ToolLine): TranscriptEntry[] {
  const at = entries.findIndex((e) => e.kind === 'tool' && e.line.key === line.key)
  if (at === -1) return [...entries, { kind: 'tool', id: entryId('tool'), line }]
  const copy = [...entries]
  copy[at] = { kind: 'tool', id: (copy[at] as TranscriptEntry).id, line }
  return copy
}

/** A chat answer (or the agent's answer after a decision): its tool lines, its reply, then its approval cards. */
export function applyTurn(transcript: Transcript, turn: AgentTurn): Transcript {
  let entries = transcript.entries
  for (const activity of turn.activity) {
    // A call held for approval is shown by its card; a line would only repeat it.
    if (activity.status === 'pending' && activity.pending_action_id) continue
    entries = upsertLine(entries, lineFromActivity(activity))
  }
  if (turn.reply) entries = [...entries, { kind: 'agent', id: entryId('agent'), text: turn.reply }]
  const actions = { ...transcript.actions }
  for (const action of turn.pending_actions) {
    actions[action.id] = action
    if (!entries.some((e) => e.kind === 'action' && e.actionId === action.id)) {
      entries = [...entries, { kind: 'action', id: `action-${action.id}`, actionId: action.id }]
    }
  }
  return { conversationId: turn.conversation_id, entries, actions }
}

const PROGRESS: Record<string, number> = { pending: 0, approved: 1, executed: 2, failed: 2, rejected: 2 }

/** Of several copies of one action, the newest: furthest along (an action only ever moves on from pending), then
 * the highest version (an edit makes a new snapshot while the action still waits). */
export function newest(...candidates: (PendingAction | undefined)[]): PendingAction | undefined {
  let best: PendingAction | undefined
  for (const candidate of candidates) {
    if (!candidate) continue
    const ahead = (PROGRESS[candidate.status] ?? 0) - (PROGRESS[best?.status ?? ''] ?? 0)
    if (!best || ahead > 0 || (ahead === 0 && candidate.version > best.version)) best = candidate
  }
  return best
}
