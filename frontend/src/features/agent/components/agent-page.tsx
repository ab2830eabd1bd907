// The agent screen (/agent and /agent/:conversationId): conversations on the left, the chat with its tool activity
// and approval cards in the middle, the composer at the bottom.
import { useEffect, useRef, useState } from 'react'
import { useParams } from 'react-router'
import { ErrorMessage } from '@/components/error-message'
import { Loading } from '@/components/loading'
import { PageHeader } from '@/components/page-header'
import { useAgentConversation } from '../hooks/use-agent-conversation'
import { AgentEmptyState } from './agent-empty-state'
import { Composer } from './composer'
import { ConversationList } from './conversation-list'
import { TranscriptView } from './transcript-view'

export function AgentPage() {
  const conversationId = useParams().conversationId ?? null
  const chat = useAgentConversation(conversationId)
  const [draft, setDraft] = useState('')
  const [listOpen, setListOpen] = useState(false)
  const inputRef = useRef<HTMLTextAreaElement>(null)
  const logRef = useRef<HTMLDivElement>(null)

  // Keep the newest message in view as the conversation grows.
  useEffect(() => {
    const log = logRef.current
    if (log) log.scrollTop = log.scrollHeight
  }, [chat.entries.length, chat.working])

  const send = async () => {
    const text = draft.trim()
    if (!text || chat.working) return
    setDraft('')
    const answered = await chat.send(text)
    // Nothing typed is lost: a failed message goes back into the box (unless something new was typed meanwhile).
    if (!answered) setDraft((current) => current || text)
  }

  const pickPrompt = (prompt: string) => {
    setDraft(prompt)
    inputRef.current?.focus()
  }

  const startNew = () => {
    setListOpen(false)
    chat.startNew()
    inputRef.current?.focus()
  }

  const isEmpty = chat.entries.length === 0 && !chat.working
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <PageHeader title="Agent">
        <button
          type="button"
          className="rounded-md border border-slate-300 px-3 py-1.5 text-sm text-slate-800 hover:bg-slate-50 md:hidden"
          aria-expanded={listOpen}
          aria-controls="agent-conversations"
          onClick={() => setListOpen((open) => !open)}
        >
          {listOpen ? 'Hide conversations' : 'Show conversations'}
        </button>
      </PageHeader>
      <div className="relative flex min-h-0 flex-1">
        <aside
          id="agent-conversations"
          aria-label="Conversations"
          className={`${listOpen ? 'absolute inset-y-0 left-0 z-10 block shadow-lg' : 'hidden'} w-72 shrink-0 overflow-y-auto border-r border-slate-200 bg-white md:static md:block md:shadow-none`}
        >
          <ConversationList onNew={startNew} onPick={() => setListOpen(false)} />
        </aside>
        <section aria-labelledby="agent-conversation-title" className="flex min-w-0 flex-1 flex-col bg-slate-50">
          <h2 id="agent-conversation-title" className="truncate border-b border-slate-200 bg-white px-4 py-2 text-sm font-semibold text-slate-900">
            {chat.title ?? (conversationId ? 'Conversation' : 'New conversation')}
          </h2>
          <div ref={logRef} role="log" aria-live="polite" aria-label="Messages" tabIndex={0} className="min-h-0 flex-1 overflow-y-auto p-4">
            {chat.loading && <Loading label="Loading the conversation…" />}
            <ErrorMessage error={chat.loadError} />
            {isEmpty && !chat.loading && !conversationId && <AgentEmptyState onPick={pickPrompt} />}
            <TranscriptView
              entries={chat.entries}
              action={chat.action}
              onDecide={chat.decide}
              onEdit={chat.edit}
              change={chat.change}
              onUndo={chat.undo}
            />
          </div>
          {chat.working && (
            <div role="status" className="flex items-center gap-2 px-4 py-2 text-sm text-slate-700">
              <span className="size-3.5 animate-spin rounded-full border-2 border-slate-500 border-t-transparent" aria-hidden="true" />
              The agent is working…
            </div>
          )}
          <ErrorMessage error={chat.sendError} className="mx-3 mb-2" />
          <Composer value={draft} onChange={setDraft} onSend={() => void send()} working={chat.working} inputRef={inputRef} />
        </section>
      </div>
    </div>
  )
}
