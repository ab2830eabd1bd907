// Pure transcript arithmetic: history into entries, a chat answer appended, a tool line replaced, actions merged.
import { lineFromActivity, lineFromHistory } from '../components/describe-action'
import type { AgentChange, AgentTurn, ConversationDetail, PendingAction, ToolLine, TranscriptEntry } from '../types/agent'

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
  /** Changes the agent made on its own, as the page last saw them (undone ones too). */
  changes: Record<string, AgentChange>
}

export const EMPTY_TRANSCRIPT: Transcript = { conversationId: null, entries: [], actions: {}, changes: {} }

function time(iso: string | null | undefined): number | null {
  if (!iso) return null
  const t = Date.parse(iso)
  return Number.isNaN(t) ? null : t
}

/** The changes of each turn as one entry, at the time of the turn's first change. */
function changeGroups(changes: AgentChange[]): { at: number; entry: TranscriptEntry }[] {
  const byTurn = new Map<string, AgentChange[]>()
  for (const change of changes) byTurn.set(change.turn_id, [...(byTurn.get(change.turn_id) ?? []), change])
  return [...byTurn.entries()].map(([turn, group]) => ({
    at: Math.min(...group.map((c) => time(c.created_at) ?? 0)),
    entry: { kind: 'changes', id: `changes-${turn}`, changeIds: group.map((c) => c.id) },
  }))
}

/** The stored history with each action placed where it was proposed (before the first later message), and each
 * turn's changes where they were made. */
export function entriesFromDetail(detail: ConversationDetail): TranscriptEntry[] {
  const placed = [
    ...detail.actions.map((a) => ({ at: time(a.created_at) ?? 0, entry: { kind: 'action', id: `action-${a.id}`, actionId: a.id } as TranscriptEntry })),
    ...changeGroups(detail.changes ?? []),
  ].sort((a, b) => a.at - b.at)
  const entries: TranscriptEntry[] = []
  let next = 0
  detail.history.forEach((message, index) => {
    const at = time(message.at)
    while (at !== null && next < placed.length && (placed[next]?.at ?? 0) < at) {
      entries.push((placed[next] as { entry: TranscriptEntry }).entry)
      next += 1
    }
    if (message.role === 'user') entries.push({ kind: 'user', id: `history-${index}`, text: message.content })
    else if (message.role === 'assistant') entries.push({ kind: 'agent', id: `history-${index}`, text: message.content })
    else entries.push({ kind: 'tool', id: `history-${index}`, line: lineFromHistory(message, index) })
  })
  for (const rest of placed.slice(next)) entries.push(rest.entry)
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
  const changes = { ...transcript.changes }
  const made = turn.changes ?? []
  for (const change of made) changes[change.id] = change
  if (made.length) entries = [...entries, { kind: 'changes', id: entryId('changes'), changeIds: made.map((c) => c.id) }]
  if (turn.reply) entries = [...entries, { kind: 'agent', id: entryId('agent'), text: turn.reply }]
  const actions = { ...transcript.actions }
  for (const action of turn.pending_actions) {
    actions[action.id] = action
    if (!entries.some((e) => e.kind === 'action' && e.actionId === action.id)) {
      entries = [...entries, { kind: 'action', id: `action-${action.id}`, actionId: action.id }]
    }
  }
  return { conversationId: turn.conversation_id, entries, actions, changes }
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
