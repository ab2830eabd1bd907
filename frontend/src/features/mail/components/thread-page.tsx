// A conversation: its messages oldest first (the latest open), reply/forward, archive/trash/unread and labels.
import { useQuery } from '@tanstack/react-query'
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router'
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import { Loading } from '@/components/loading'
import { PageHeader } from '@/components/page-header'
import { AccountOverride, useActiveAccountId } from '@/lib/active-account'
import { useAddLabels } from '../api/add-labels'
import { describeChange, useBatchModify } from '../api/batch-modify'
import { threadQueryOptions, type Message } from '../api/get-thread'
import { labelsQueryOptions } from '../api/list-labels'
import { useRemoveLabel } from '../api/remove-label'
import { useShortcuts } from '../hooks/use-shortcuts'
import { labelName, userLabels, type Label } from '../types/labels'
import { ThreadMessage } from './thread-message'

const actionLink = 'inline-flex items-center rounded-md border border-slate-300 bg-white px-2.5 py-1 text-sm font-medium text-slate-800 hover:bg-slate-50'

function LabelEditor({ message, labels }: { message: Message; labels: Label[] }) {
  const add = useAddLabels()
  const remove = useRemoveLabel()
  if (labels.length === 0) return <p className="text-sm text-slate-600">No labels yet. Create one in the sidebar.</p>
  return (
    <fieldset className="flex flex-col gap-1 rounded-md border border-slate-200 bg-white p-3">
      <legend className="px-1 text-sm font-medium text-slate-700">Labels</legend>
      {labels.map((label) => (
        <label key={label.id} className="flex items-center gap-2 text-sm text-slate-800">
          <input
            type="checkbox"
            checked={message.label_ids.includes(label.id)}
            disabled={add.isPending || remove.isPending}
            onChange={(event) =>
              event.target.checked
                ? add.mutate({ messageId: message.id, labelIds: [label.id] })
                : remove.mutate({ messageId: message.id, labelId: label.id })
            }
          />
          {label.name}
        </label>
      ))}
      <ErrorMessage error={add.error ?? remove.error} />
    </fieldset>
  )
}

export type ComposerKind = 'reply' | 'replyAll' | 'forward'

export interface ComposerSlotProps {
  kind: ComposerKind
  original: Message
  onClose: () => void
}

export interface ThreadPageProps {
  /** Replies and forwards written inside the conversation (the app passes the compose form); without it, Reply
   * and Forward open the compose screen. */
  renderComposer?: (props: ComposerSlotProps) => ReactNode
}

/** `?account=` (set by the lists) names the conversation's mailbox: reading, labels and replies act there. */
export function ThreadPage({ renderComposer }: ThreadPageProps = {}) {
  const [searchParams] = useSearchParams()
  return (
    <AccountOverride.Provider value={searchParams.get('account')}>
      <ThreadView renderComposer={renderComposer} />
    </AccountOverride.Provider>
  )
}

function ThreadView({ renderComposer }: ThreadPageProps) {
  const { labelId = 'INBOX', messageId = '' } = useParams()
  const location = useLocation()
  const navigate = useNavigate()
  const accountId = useActiveAccountId()
  const thread = useQuery(threadQueryOptions(accountId, messageId))
  const labelsQuery = useQuery(labelsQueryOptions(accountId))
  const mine = useMemo(() => userLabels(labelsQuery.data?.labels), [labelsQuery.data])
  const labelNames = useMemo(() => new Map(mine.map((l) => [l.id, l.name])), [mine])
  const backHref = `/mail/${encodeURIComponent(labelId)}${location.search}`
  const listName = labelName(labelId, labelsQuery.data?.labels)
  const markRead = useBatchModify()
  // Archive, trash and unread from here can be undone (toast, `z`); reading it on open cannot, as nobody asked.
  const action = useBatchModify((change) => describeChange(change, labelNames, change.ids.length > 1 ? 'Conversation' : 'Message'))
  const [toggled, setToggled] = useState<ReadonlySet<string>>(() => new Set())
  const [labelsOpen, setLabelsOpen] = useState(false)
  const [composing, setComposing] = useState<{ kind: ComposerKind; threadId: string } | null>(null)

  const messages = thread.data?.messages ?? []
  const latest = messages.at(-1)
  const opened = messages.find((m) => m.id === messageId) ?? latest

  // Opening a conversation reads it: once per thread, so "Mark unread" is not undone by the refetch that follows.
  const markedThread = useRef<string | null>(null)
  const { mutate: markReadMutate } = markRead
  useEffect(() => {
    const data = thread.data
    if (!data || markedThread.current === data.id) return
    markedThread.current = data.id
    const unread = data.messages.filter((m) => m.unread).map((m) => m.id)
    if (unread.length) markReadMutate({ ids: unread, remove: ['UNREAD'] })
  }, [thread.data, markReadMutate])

  // The reply goes out from the account that received the conversation.
  const inAccount = latest ? `&account=${encodeURIComponent(latest.account.id)}` : ''
  const replyHref = latest ? `/compose?reply=${encodeURIComponent(latest.id)}${inAccount}` : ''
  const replyAllHref = latest ? `/compose?reply=${encodeURIComponent(latest.id)}&all=1${inAccount}` : ''
  const forwardHref = latest ? `/compose?forward=${encodeURIComponent(latest.id)}${inAccount}` : ''
  const goBack = () => navigate(backHref)
  const modifyThenLeave = (add: string[], remove: string[], ids = messages.map((m) => m.id)) =>
    action.mutate({ ids, add, remove }, { onSuccess: goBack })

  // j/k move between the conversation's messages (focus and scroll), newest last.
  const moveInThread = (step: number) => {
    const articles = Array.from(document.querySelectorAll<HTMLElement>('article[aria-label^="Message from"]'))
    if (articles.length === 0) return
    const current = articles.findIndex((a) => a.contains(document.activeElement))
    const next = Math.max(0, Math.min(articles.length - 1, current < 0 ? (step > 0 ? 0 : articles.length - 1) : current + step))
    articles[next]?.focus()
    articles[next]?.scrollIntoView({ block: 'nearest' })
  }
  const compose = (kind: ComposerKind, href: string) => {
    if (!latest) return
    if (renderComposer && thread.data) setComposing({ kind, threadId: thread.data.id })
    else navigate(href)
  }
  // The inline form belongs to this conversation: opening another one starts without it.
  const composer = composing && composing.threadId === thread.data?.id && latest ? composing : null
  const composerRef = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (composer) composerRef.current?.scrollIntoView?.({ block: 'nearest' })
  }, [composer])
  // While a reply or forward is open here, only j/k: r/a/f would start the form over and u would leave it, so a key
  // that reaches the page instead of the form (a click beside it, a keystroke before it took focus) loses no text.
  useShortcuts({
    j: () => moveInThread(1),
    k: () => moveInThread(-1),
    ...(composer
      ? {}
      : {
          u: goBack,
          r: () => compose('reply', replyHref),
          a: () => compose('replyAll', replyAllHref),
          f: () => compose('forward', forwardHref),
        }),
  })

  const isExpanded = (message: Message) => (message.id === latest?.id) !== toggled.has(message.id)
  const toggle = (id: string) =>
    setToggled((current) => {
      const next = new Set(current)
      if (next.has(id)) next.delete(id)
      else next.add(id)
      return next
    })

  const subject = messages[0]?.subject || (thread.isPending ? 'Loading conversation' : '(no subject)')
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <PageHeader title={thread.isError ? 'Conversation' : subject}>
        <Link to={backHref} className={actionLink}>
          ← Back to {listName}
        </Link>
      </PageHeader>
      {thread.isPending && <Loading label="Loading conversation…" />}
      {thread.isError && (
        <div className="flex flex-col items-start gap-2 p-4">
          <ErrorMessage error={thread.error} />
          <Button size="sm" onClick={() => void thread.refetch()}>
            Try again
          </Button>
        </div>
      )}
      {latest && opened && (
        <div className="min-h-0 flex-1 overflow-y-auto">
          <div role="toolbar" aria-label="Conversation actions" className="flex flex-wrap items-center gap-2 border-b border-slate-200 bg-white px-4 py-2">
            {renderComposer ? (
              <>
                <Button size="sm" aria-pressed={composer?.kind === 'reply'} onClick={() => compose('reply', replyHref)}>
                  Reply
                </Button>
                <Button size="sm" aria-pressed={composer?.kind === 'replyAll'} onClick={() => compose('replyAll', replyAllHref)}>
                  Reply all
                </Button>
                <Button size="sm" aria-pressed={composer?.kind === 'forward'} onClick={() => compose('forward', forwardHref)}>
                  Forward
                </Button>
              </>
            ) : (
              <>
                <Link to={replyHref} className={actionLink}>
                  Reply
                </Link>
                <Link to={replyAllHref} className={actionLink}>
                  Reply all
                </Link>
                <Link to={forwardHref} className={actionLink}>
                  Forward
                </Link>
              </>
            )}
            <Button size="sm" disabled={action.isPending} onClick={() => modifyThenLeave([], ['INBOX'])}>
              Archive
            </Button>
            <Button size="sm" disabled={action.isPending} onClick={() => modifyThenLeave(['TRASH'], [])}>
              Trash
            </Button>
            <Button size="sm" disabled={action.isPending} onClick={() => modifyThenLeave(['UNREAD'], [], [latest.id])}>
              Mark unread
            </Button>
            <Button size="sm" aria-expanded={labelsOpen} onClick={() => setLabelsOpen((v) => !v)}>
              Labels
            </Button>
          </div>
          <div className="flex flex-col gap-3 p-4">
            <ErrorMessage error={action.error ?? markRead.error} />
            {labelsOpen && <LabelEditor message={opened} labels={mine} />}
            {messages.map((message) => (
              <ThreadMessage
                key={message.id}
                message={message}
                expanded={isExpanded(message)}
                onToggle={() => toggle(message.id)}
                labelNames={labelNames}
              />
            ))}
            {composer && renderComposer && (
              <div ref={composerRef}>{renderComposer({ kind: composer.kind, original: latest, onClose: () => setComposing(null) })}</div>
            )}
          </div>
        </div>
      )}
    </div>
  )
}
