// The person's conversations with the agent, newest activity first, each a link to /agent/<id>.
import { useQuery } from '@tanstack/react-query'
import { NavLink } from 'react-router'
import { Button } from '@/components/button'
import { EmptyState } from '@/components/empty-state'
import { ErrorMessage } from '@/components/error-message'
import { shortDate } from '@/components/format-date'
import { Loading } from '@/components/loading'
import { conversationsQueryOptions } from '../api/list-conversations'
import { pendingActionsQueryOptions } from '../api/list-pending-actions'

export function ConversationList({ onNew, onPick }: { onNew: () => void; onPick: () => void }) {
  const conversations = useQuery(conversationsQueryOptions())
  const pending = useQuery(pendingActionsQueryOptions())
  const waiting = new Set((pending.data ?? []).map((a) => a.conversation_id))
  return (
    <div className="flex flex-col gap-3 p-3">
      <div className="flex items-center justify-between gap-2">
        <h2 className="text-sm font-semibold text-slate-900">Conversations</h2>
        <Button size="sm" variant="primary" className="whitespace-nowrap" onClick={onNew}>
          New conversation
        </Button>
      </div>
      {conversations.isPending && <Loading label="Loading conversations…" />}
      <ErrorMessage error={conversations.error} />
      {conversations.data?.length === 0 && <EmptyState title="No conversations yet">Your chats with the agent appear here.</EmptyState>}
      {conversations.data && conversations.data.length > 0 && (
        <ul className="flex flex-col gap-1">
          {conversations.data.map((c) => (
            <li key={c.id}>
              <NavLink
                to={`/agent/${c.id}`}
                onClick={onPick}
                className={({ isActive }) =>
                  `block rounded-md px-2 py-1.5 text-sm ${isActive ? 'bg-brand-50 text-brand-700' : 'text-slate-800 hover:bg-slate-100'}`
                }
              >
                <span className="line-clamp-2 font-medium">{c.title || 'Conversation'}</span>
                <span className="flex items-center justify-between gap-2 text-xs text-slate-600">
                  <time dateTime={c.updated_at}>{shortDate(c.updated_at)}</time>
                  {waiting.has(c.id) && <span className="rounded bg-amber-100 px-1.5 text-amber-900">Needs approval</span>}
                </span>
              </NavLink>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
