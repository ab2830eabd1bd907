// One message in the list: selection checkbox and a link with sender, subject, snippet, date, labels and markers.
import { memo } from 'react'
import { Link } from 'react-router'
import { shortDate } from '@/components/format-date'
import type { MessageSummary } from '../api/search-emails'
import { senderOf } from '../types/addresses'
import { PaperclipIcon } from './paperclip-icon'

export interface MessageRowProps {
  message: MessageSummary
  href: string
  rowKey: string // what the selection knows the row by (account and id)
  showAccount?: boolean // the unified inbox: say which mailbox each message is in
  selected: boolean
  focused: boolean
  labelNames: Map<string, string>
  onToggle: (id: string) => void
  onFocusRow: () => void
}

export const MessageRow = memo(function MessageRow({
  message,
  href,
  rowKey,
  showAccount = false,
  selected,
  focused,
  labelNames,
  onToggle,
  onFocusRow,
}: MessageRowProps) {
  // A conversation names who wrote in it (first names, as Gmail does) and how many messages it holds.
  const conversation = (message.count ?? 1) > 1
  const sender = conversation && message.participants?.length
    ? message.participants.map((p) => (p.name ? p.name.split(' ')[0] : p.address)).join(', ')
    : senderOf(message)
  const subject = message.subject || '(no subject)'
  const chips = message.label_ids.filter((id) => labelNames.has(id))
  return (
    <div
      className={`flex h-full items-center gap-3 border-b border-slate-100 px-4 ${selected ? 'bg-brand-50' : message.unread ? 'bg-white' : 'bg-slate-50'} ${
        focused ? 'ring-2 ring-inset ring-brand-600' : ''
      }`}
    >
      <input
        type="checkbox"
        className="size-4 shrink-0"
        checked={selected}
        onChange={() => onToggle(rowKey)}
        aria-label={`Select message from ${sender}: ${subject}`}
      />
      <Link
        to={href}
        onFocus={onFocusRow}
        data-row-link
        className="flex min-w-0 flex-1 flex-col gap-0.5 py-2 focus:outline-none"
        aria-current={focused ? 'true' : undefined}
      >
        <span className="flex items-center gap-2">
          {message.unread && <span className="size-2 shrink-0 rounded-full bg-brand-600" aria-hidden="true" />}
          <span className={`truncate text-sm ${message.unread ? 'font-bold text-slate-900' : 'text-slate-700'}`}>{sender}</span>
          {conversation && (
            <span className="shrink-0 text-xs text-slate-600" data-testid="conversation-count">
              {message.count}
              <span className="sr-only"> messages</span>
            </span>
          )}
          {message.unread && <span className="sr-only">, unread</span>}
          <span className="ml-auto flex shrink-0 items-center gap-2 text-xs text-slate-600">
            {message.has_attachments && (
              <>
                <PaperclipIcon />
                <span className="sr-only">, has attachment, </span>
              </>
            )}
            <time dateTime={message.date}>{shortDate(message.date)}</time>
          </span>
        </span>
        <span className="flex min-w-0 items-center gap-2 text-sm">
          <span className={`truncate ${message.unread ? 'font-semibold text-slate-900' : 'text-slate-800'}`}>{subject}</span>
          {showAccount && (
            <span className="shrink-0 rounded border border-brand-100 bg-brand-50 px-1.5 text-xs text-brand-700" title={`In ${message.account.address}`}>
              <span className="sr-only">in </span>
              {message.account.address}
            </span>
          )}
          {chips.map((id) => (
            <span key={id} className="shrink-0 rounded bg-slate-200 px-1.5 text-xs text-slate-800">
              {labelNames.get(id)}
            </span>
          ))}
        </span>
        <span className="truncate text-xs text-slate-600">{message.snippet}</span>
      </Link>
    </div>
  )
})
