// The conversation as a log: the person's messages, the agent's formatted replies, tool lines and approval cards.
import type { AgentChange, PendingAction, TranscriptEntry } from '../types/agent'
import { AgentMarkdown } from './agent-markdown'
import { ApprovalCard } from './approval-card'
import { ChangesList } from './changes-list'

export interface TranscriptViewProps {
  entries: TranscriptEntry[]
  action: (id: string) => PendingAction | undefined
  onDecide: (action: PendingAction, approve: boolean) => Promise<void>
  onEdit: (action: PendingAction, payload?: Record<string, unknown>) => Promise<void>
  change: (id: string) => AgentChange | undefined
  onUndo: (change: AgentChange) => Promise<void>
}

const TOOL_MARK: Record<string, string> = { error: '✕', failed: '✕', rejected: '–', pending: '…' }

export function TranscriptView({ entries, action, onDecide, onEdit, change, onUndo }: TranscriptViewProps) {
  return (
    <ol className="mx-auto flex w-full max-w-3xl flex-col gap-3">
      {entries.map((entry) => {
        switch (entry.kind) {
          case 'user':
            return (
              <li key={entry.id} className="ml-auto max-w-[85%] rounded-lg bg-brand-600 px-3 py-2 text-sm text-white">
                <span className="sr-only">You: </span>
                <p className="whitespace-pre-wrap break-words">{entry.text}</p>
              </li>
            )
          case 'agent':
            return (
              <li key={entry.id} className="max-w-[85%] rounded-lg border border-slate-200 bg-white px-3 py-2">
                <span className="sr-only">Agent: </span>
                <AgentMarkdown text={entry.text} />
              </li>
            )
          case 'tool':
            return (
              <li key={entry.id} className="flex items-start gap-2 px-1 text-xs text-slate-600">
                <span aria-hidden="true">{TOOL_MARK[entry.line.status] ?? '✓'}</span>
                <span className="break-words">{entry.line.text}</span>
              </li>
            )
          case 'action': {
            const found = action(entry.actionId)
            return <li key={entry.id}>{found && <ApprovalCard action={found} onDecide={onDecide} onEdit={onEdit} />}</li>
          }
          case 'changes': {
            const found = entry.changeIds.map(change).filter((c): c is AgentChange => c !== undefined)
            return (
              <li key={entry.id} className="max-w-[85%]">
                <ChangesList changes={found} onUndo={onUndo} />
              </li>
            )
          }
          default:
            return null
        }
      })}
    </ol>
  )
}
