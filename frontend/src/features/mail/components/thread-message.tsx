// One message of a conversation: a one-line summary when collapsed; headers, body and attachments when expanded.
import { fullDate, shortDate } from '@/components/format-date'
import type { Message } from '../api/get-thread'
import { formatAddress, formatAddresses, senderOf } from '../types/addresses'
import { AttachmentList } from './attachment-list'
import { EmailBody } from './email-body'
import { InvitationCard } from './invitation-card'

export interface ThreadMessageProps {
  message: Message
  expanded: boolean
  onToggle: () => void
  labelNames: Map<string, string>
}

export function ThreadMessage({ message, expanded, onToggle, labelNames }: ThreadMessageProps) {
  const sender = senderOf(message)
  const chips = [
    ...(message.starred ? ['Starred'] : []),
    ...message.label_ids.filter((id) => labelNames.has(id)).map((id) => labelNames.get(id) ?? id),
  ]
  return (
    <article aria-label={`Message from ${sender}`} tabIndex={-1} className="rounded-lg border border-slate-200 bg-white focus:outline-2 focus:outline-brand-600">
      <h2 className="text-sm">
        <button
          type="button"
          aria-expanded={expanded}
          onClick={onToggle}
          className="flex w-full items-center gap-3 rounded-t-lg px-4 py-3 text-left hover:bg-slate-50"
        >
          <span className={`shrink-0 ${message.unread ? 'font-bold' : 'font-semibold'} text-slate-900`}>{sender}</span>
          {!expanded && <span className="min-w-0 flex-1 truncate font-normal text-slate-600">{message.snippet}</span>}
          <span className="ml-auto shrink-0 text-xs font-normal text-slate-600">
            <time dateTime={message.date}>{expanded ? fullDate(message.date) : shortDate(message.date)}</time>
          </span>
        </button>
      </h2>
      {expanded && (
        <div className="flex flex-col gap-3 border-t border-slate-100 px-4 pb-4 pt-3">
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-sm">
            <dt className="text-slate-600">From</dt>
            <dd className="break-all text-slate-900">{message.from ? formatAddress(message.from) : '(unknown sender)'}</dd>
            {message.to.length > 0 && (
              <>
                <dt className="text-slate-600">To</dt>
                <dd className="break-all text-slate-900">{formatAddresses(message.to)}</dd>
              </>
            )}
            {message.cc.length > 0 && (
              <>
                <dt className="text-slate-600">Cc</dt>
                <dd className="break-all text-slate-900">{formatAddresses(message.cc)}</dd>
              </>
            )}
            <dt className="text-slate-600">Date</dt>
            <dd className="text-slate-900">
              <time dateTime={message.date}>{fullDate(message.date)}</time>
            </dd>
            {chips.length > 0 && (
              <>
                <dt className="text-slate-600">Labels</dt>
                <dd className="flex flex-wrap gap-1">
                  {chips.map((name) => (
                    <span key={name} className="rounded bg-slate-200 px-1.5 text-xs text-slate-800">
                      {name}
                    </span>
                  ))}
                </dd>
              </>
            )}
          </dl>
          <EmailBody html={message.html} text={message.text_body} title={`Message from ${sender}`} senderAddress={message.from?.address} />
          {message.attachments.some((a) => a.mime_type.startsWith('text/calendar')) && <InvitationCard messageId={message.id} />}
          <AttachmentList messageId={message.id} attachments={message.attachments} />
        </div>
      )}
    </article>
  )
}
