// A label's messages: search with filters, a virtualized infinitely scrolling list, multi-select bulk actions and shortcuts.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { useVirtualizer } from '@tanstack/react-virtual'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router'
import { Button } from '@/components/button'
import { EmptyState } from '@/components/empty-state'
import { ErrorMessage } from '@/components/error-message'
import { Loading } from '@/components/loading'
import { PageHeader } from '@/components/page-header'
import { ALL_ACCOUNTS, useActiveAccountId, useMailScope } from '@/lib/active-account'
import { useSession } from '@/lib/use-session'
import { describeChange, useBatchModify, type LabelChange } from '../api/batch-modify'
import { labelsQueryOptions } from '../api/list-labels'
import { emailsInfiniteQueryOptions, messageIdsOf, rowsOf, type MessageSummary } from '../api/search-emails'
import { useSetConversationView } from '../api/set-conversation-view'
import { useMailboxStatus } from '../hooks/use-mailbox-status'
import { useShortcuts } from '../hooks/use-shortcuts'
import { labelName, userLabels, type Label } from '../types/labels'
import { messageKey } from '../types/message-key'
import { MessageRow } from './message-row'
import { SearchBar } from './search-bar'

export const ROW_HEIGHT = 76
// Ask for the next page while this many loaded rows are still below the viewport, so scrolling never hits the end.
const PREFETCH_ROWS = 15

interface BulkAction {
  change: Omit<LabelChange, 'ids'>
  done: (what: string) => string
}

const ACTIONS = {
  read: { change: { remove: ['UNREAD'] }, done: (what) => `${what} marked as read` },
  unread: { change: { add: ['UNREAD'] }, done: (what) => `${what} marked as unread` },
  archive: { change: { remove: ['INBOX'] }, done: (what) => `${what} archived` },
  trash: { change: { add: ['TRASH'] }, done: (what) => `${what} moved to Trash` },
} satisfies Record<string, BulkAction>

function plural(count: number): string {
  return count === 1 ? '1 message' : `${count} messages`
}

interface MessageListProps {
  labelId: string
  title: string
  q: string
  accountId: string | null
  labels: Label[]
  searchInput: React.RefObject<HTMLInputElement | null>
}

function MessageList({ labelId, title, q, accountId, labels, searchInput }: MessageListProps) {
  const unified = accountId === ALL_ACCOUNTS
  const navigate = useNavigate()
  const location = useLocation()
  const session = useSession()
  // The stored choice of the signed-in person (on by default on the server).
  const conversations = session.user?.conversation_view === true && !unified
  const setConversationView = useSetConversationView()
  const emails = useInfiniteQuery(emailsInfiniteQueryOptions({ accountId, labelId, q, conversations }))
  const messages = useMemo<MessageSummary[]>(() => rowsOf(emails.data?.pages ?? []), [emails.data])
  const notice = emails.data?.pages[0]?.notice ?? null
  const [selection, setSelection] = useState<ReadonlySet<string>>(() => new Set())
  const [focusIndex, setFocusIndex] = useState(0)
  const [status, setStatus] = useState('')
  const [addLabel, setAddLabel] = useState('')
  const labelNamesForUndo = useMemo(() => new Map(labels.map((l) => [l.id, l.name])), [labels])
  const modify = useBatchModify((change) => describeChange(change, labelNamesForUndo))
  const scrollRef = useRef<HTMLDivElement>(null)
  const moveFocus = useRef(false)

  const selected = messages.filter((m) => selection.has(messageKey(m)))
  const activeIndex = Math.max(0, Math.min(focusIndex, messages.length - 1))
  const focused = messages[activeIndex]
  const labelNames = useMemo(() => new Map(labels.map((l) => [l.id, l.name])), [labels])

  // The React Compiler cannot memoize around useVirtualizer's mutable instance; this component is not compiled.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: messages.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    // Rows have a fixed height, so nothing needs measuring; the first paint assumes a typical viewport.
    initialRect: { width: 800, height: 800 },
  })
  const virtualItems = virtualizer.getVirtualItems()
  const lastVisible = virtualItems.at(-1)?.index ?? -1
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = emails
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastVisible >= messages.length - PREFETCH_ROWS) void fetchNextPage()
  }, [hasNextPage, isFetchingNextPage, fetchNextPage, lastVisible, messages.length])

  // After j/k, the focused row's link takes DOM focus (once the virtualizer has rendered it).
  useEffect(() => {
    if (!moveFocus.current) return
    const link = scrollRef.current?.querySelector<HTMLElement>(`[data-index="${activeIndex}"] [data-row-link]`)
    if (link) {
      link.focus({ preventScroll: true })
      moveFocus.current = false
    }
  })

  // The thread's URL names its account, so the conversation, its labels and a reply act in the right mailbox.
  const hrefOf = useCallback(
    (message: MessageSummary) => {
      const params = new URLSearchParams(location.search)
      params.set('account', message.account.id)
      return `/mail/${encodeURIComponent(labelId)}/${encodeURIComponent(message.id)}?${params.toString()}`
    },
    [labelId, location.search],
  )
  const toggle = useCallback(
    (id: string) =>
      setSelection((current) => {
        const next = new Set(current)
        if (next.has(id)) next.delete(id)
        else next.add(id)
        return next
      }),
    [],
  )
  // One change per account: in the unified inbox a selection can span mailboxes.
  const run = (action: BulkAction, targets: MessageSummary[]) => {
    if (targets.length === 0) return
    setStatus('')
    const byAccount = new Map<string, string[]>()
    // A conversation row acts on every message of the conversation, as Gmail does.
    for (const m of targets) byAccount.set(m.account.id, [...(byAccount.get(m.account.id) ?? []), ...messageIdsOf(m)])
    // (mutate's own callbacks fire for the last call only: wait for every account's change instead)
    const changes = [...byAccount].map(([account, ids]) => modify.mutateAsync({ ids, ...action.change, accountId: account }))
    Promise.all(changes).then(
      () => {
        setStatus(action.done(plural(targets.length)))
        setSelection(new Set())
      },
      () => undefined, // the error shows from modify.error
    )
  }
  // Shortcuts act on the selection when there is one, otherwise on the focused row.
  const targets = () => (selected.length ? selected : focused ? [focused] : [])
  const go = (index: number) => {
    if (messages.length === 0) return
    const next = Math.max(0, Math.min(index, messages.length - 1))
    moveFocus.current = true
    setFocusIndex(next)
    virtualizer.scrollToIndex(next, { align: 'auto' })
  }
  useShortcuts({
    j: () => go(activeIndex + 1),
    k: () => go(activeIndex - 1),
    o: () => focused && navigate(hrefOf(focused)),
    Enter: () => focused && navigate(hrefOf(focused)),
    x: () => focused && toggle(messageKey(focused)),
    e: () => run(ACTIONS.archive, targets()),
    '#': () => run(ACTIONS.trash, targets()),
    r: () => focused && navigate(`/compose?reply=${encodeURIComponent(focused.id)}&account=${encodeURIComponent(focused.account.id)}`),
    '/': () => searchInput.current?.focus(),
  })

  if (!emails.data) {
    if (!emails.isError) return <Loading label="Loading messages…" />
    return (
      <div className="flex flex-col items-start gap-2 p-4">
        <ErrorMessage error={emails.error} />
        <Button size="sm" onClick={() => void emails.refetch()}>
          Try again
        </Button>
      </div>
    )
  }
  const nextPageError = emails.isFetchNextPageError ? emails.error : null

  const allSelected = messages.length > 0 && selected.length === messages.length
  const someSelected = selected.length > 0 && !allSelected
  const canAct = selected.length > 0 && !modify.isPending
  return (
    <>
      <div role="toolbar" aria-label="Bulk actions" className="flex flex-wrap items-center gap-2 border-b border-slate-200 bg-white px-4 py-2">
        <input
          type="checkbox"
          className="size-4"
          aria-label="Select all loaded messages"
          checked={allSelected}
          ref={(el) => {
            if (el) el.indeterminate = someSelected
          }}
          onChange={() => setSelection(allSelected ? new Set() : new Set(messages.map(messageKey)))}
          disabled={messages.length === 0}
        />
        <span className="text-sm text-slate-700">
          {selected.length ? `${selected.length} selected` : `${messages.length}${hasNextPage ? '+' : ''} ${conversations ? 'conversations' : 'messages'}`}
        </span>
        <Button size="sm" disabled={!canAct} onClick={() => run(ACTIONS.read, selected)}>
          Mark read
        </Button>
        <Button size="sm" disabled={!canAct} onClick={() => run(ACTIONS.unread, selected)}>
          Mark unread
        </Button>
        <Button size="sm" disabled={!canAct} onClick={() => run(ACTIONS.archive, selected)}>
          Archive
        </Button>
        <select
          aria-label="Add label to selected"
          className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm disabled:text-slate-400"
          value={addLabel}
          disabled={!canAct || labels.length === 0}
          onChange={(event) => {
            const id = event.target.value
            setAddLabel('')
            const label = labels.find((l) => l.id === id)
            if (label) run({ change: { add: [label.id] }, done: (what) => `Label ${label.name} added to ${what}` }, selected)
          }}
        >
          <option value="">Add label…</option>
          {labels.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
        </select>
        <Button size="sm" variant="danger" disabled={!canAct} onClick={() => run(ACTIONS.trash, selected)}>
          Move to trash
        </Button>
        {!unified && (
          <label className="ml-auto flex items-center gap-2 text-sm text-slate-700">
            <input
              type="checkbox"
              className="size-4"
              checked={conversations}
              disabled={setConversationView.isPending}
              onChange={(event) => setConversationView.mutate(event.target.checked)}
            />
            Conversation view
          </label>
        )}
        <p role="status" className="text-sm text-slate-700">
          {status}
        </p>
      </div>
      {modify.error && <ErrorMessage error={modify.error} className="mx-4 mt-2" />}
      {notice && (
        <p role="status" className="mx-4 mt-2 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          {notice}
        </p>
      )}
      {messages.length === 0 ? (
        <EmptyState title={q ? 'No messages match' : `${title} is empty`}>{q ? 'Try other words or fewer filters.' : null}</EmptyState>
      ) : (
        <div ref={scrollRef} className="min-h-0 flex-1 overflow-y-auto" data-testid="message-scroller">
          <ul aria-label={`${title} messages`} className="relative w-full" style={{ height: virtualizer.getTotalSize() }}>
            {virtualItems.map((item) => {
              const message = messages[item.index]
              if (!message) return null
              return (
                <li
                  key={messageKey(message)}
                  data-index={item.index}
                  aria-setsize={hasNextPage ? -1 : messages.length}
                  aria-posinset={item.index + 1}
                  className="absolute left-0 top-0 w-full"
                  style={{ height: item.size, transform: `translateY(${item.start}px)` }}
                >
                  <MessageRow
                    message={message}
                    href={hrefOf(message)}
                    rowKey={messageKey(message)}
                    showAccount={unified}
                    selected={selection.has(messageKey(message))}
                    focused={item.index === activeIndex}
                    labelNames={labelNames}
                    onToggle={toggle}
                    onFocusRow={() => setFocusIndex(item.index)}
                  />
                </li>
              )
            })}
          </ul>
          {isFetchingNextPage && <Loading label="Loading more messages…" />}
          {nextPageError && (
            <div className="flex items-center gap-2 p-4">
              <ErrorMessage error={nextPageError} />
              <Button size="sm" onClick={() => void fetchNextPage()}>
                Load more
              </Button>
            </div>
          )}
        </div>
      )}
    </>
  )
}

export function MailboxPage() {
  const { labelId = 'INBOX' } = useParams()
  const [searchParams, setSearchParams] = useSearchParams()
  const q = searchParams.get('q') ?? ''
  const scope = useMailScope()
  const unified = scope === ALL_ACCOUNTS
  const accountId = useActiveAccountId()
  const mailbox = useMailboxStatus()
  // labels belong to one account: the unified inbox shows system labels only (their names need no lookup)
  const labelsQuery = useQuery({ ...labelsQueryOptions(accountId), enabled: mailbox === 'connected' && !unified })
  const mine = useMemo(() => userLabels(labelsQuery.data?.labels), [labelsQuery.data])
  const title = labelName(labelId, labelsQuery.data?.labels)
  const searchInput = useRef<HTMLInputElement>(null)
  const onSearch = (next: string) => setSearchParams(next ? { q: next } : {})
  if (mailbox !== 'connected') {
    return (
      <div className="flex min-h-0 flex-1 flex-col">
        <PageHeader title={title} />
        {mailbox === 'loading' ? (
          <Loading label="Loading messages…" />
        ) : (
          <EmptyState title="No mailbox connected">
            <Link to="/settings/accounts" className="font-semibold text-brand-700 underline">
              Connect your Gmail or the demo mailbox
            </Link>
          </EmptyState>
        )}
      </div>
    )
  }
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <PageHeader title={title} />
      <SearchBar key={q} initialQuery={q} labels={mine} onSearch={onSearch} inputRef={searchInput} />
      <MessageList
        key={`${unified ? ALL_ACCOUNTS : accountId}|${labelId}|${q}`}
        labelId={labelId}
        title={unified ? `${title} — all accounts` : title}
        q={q}
        accountId={unified ? ALL_ACCOUNTS : accountId}
        labels={unified ? [] : mine}
        searchInput={searchInput}
      />
    </div>
  )
}
