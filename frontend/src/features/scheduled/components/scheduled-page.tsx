// /scheduled: emails waiting to be sent (and what became of them), with cancel and reschedule while they wait.
import { useInfiniteQuery } from '@tanstack/react-query'
import { useId, useRef, useState, type KeyboardEvent } from 'react'
import { Link, useSearchParams } from 'react-router'
import { toast } from 'sonner'
import type { components } from '@/api/schema'
import { Button } from '@/components/button'
import { Dialog } from '@/components/dialog'
import { EmptyState } from '@/components/empty-state'
import { ErrorMessage } from '@/components/error-message'
import { Loading } from '@/components/loading'
import { PageHeader } from '@/components/page-header'
import { ScheduleDialog } from '@/components/schedule-picker'
import { useCancelScheduled } from '../api/cancel-scheduled'
import { scheduledQueryOptions, type ScheduledStatus } from '../api/list-scheduled'
import { useRescheduleScheduled } from '../api/reschedule-scheduled'
import { inViewerZone, inZone, viewerTimeZone, wallTimeOf } from '../lib/send-time'

type Scheduled = components['schemas']['ScheduledEmailOut']

interface StatusTab {
  id: string
  label: string
  statuses: ScheduledStatus[]
  empty: string
}

// "sending" is a moment between scheduled and sent: it belongs with what is still to go out.
const DEFAULT_TAB: StatusTab = { id: 'scheduled', label: 'Scheduled', statuses: ['scheduled', 'sending'], empty: 'Nothing is waiting to be sent.' }

const TABS: StatusTab[] = [
  DEFAULT_TAB,
  { id: 'sent', label: 'Sent', statuses: ['sent'], empty: 'No scheduled email has been sent yet.' },
  { id: 'failed', label: 'Failed', statuses: ['failed'], empty: 'No scheduled email failed.' },
  { id: 'cancelled', label: 'Cancelled', statuses: ['cancelled'], empty: 'No scheduled email was cancelled.' },
  { id: 'all', label: 'All', statuses: [], empty: 'You have not scheduled any email yet.' },
]

const STATUS_BADGE: Record<ScheduledStatus, { text: string; className: string }> = {
  scheduled: { text: 'Scheduled', className: 'bg-blue-50 text-blue-800 ring-blue-200' },
  sending: { text: 'Sending', className: 'bg-amber-50 text-amber-800 ring-amber-200' },
  sent: { text: 'Sent', className: 'bg-emerald-50 text-emerald-800 ring-emerald-200' },
  failed: { text: 'Failed', className: 'bg-red-50 text-red-800 ring-red-200' },
  cancelled: { text: 'Cancelled', className: 'bg-slate-100 text-slate-700 ring-slate-300' },
}

function recipientsOf(item: Scheduled): string {
  return [...item.to, ...item.cc, ...item.bcc].map((p) => p.name || p.address).join(', ') || '(no recipients)'
}

function subjectOf(item: Scheduled): string {
  return item.subject || '(no subject)'
}

function StatusTabs({ current, onSelect, panelId }: { current: string; onSelect: (id: string) => void; panelId: string }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([])
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = TABS.findIndex((t) => t.id === current)
    const next =
      event.key === 'ArrowRight' ? (index + 1) % TABS.length
      : event.key === 'ArrowLeft' ? (index - 1 + TABS.length) % TABS.length
      : event.key === 'Home' ? 0
      : event.key === 'End' ? TABS.length - 1
      : -1
    if (next < 0) return
    event.preventDefault()
    const tab = TABS[next]
    if (!tab) return
    onSelect(tab.id)
    refs.current[next]?.focus()
  }
  return (
    <div role="tablist" aria-label="Status" className="flex gap-1 overflow-x-auto border-b border-slate-200 bg-white px-4" onKeyDown={onKeyDown}>
      {TABS.map((tab, index) => {
        const selected = tab.id === current
        return (
          <button
            key={tab.id}
            ref={(el) => {
              refs.current[index] = el
            }}
            type="button"
            role="tab"
            id={`${panelId}-tab-${tab.id}`}
            aria-selected={selected}
            aria-controls={panelId}
            tabIndex={selected ? 0 : -1}
            onClick={() => onSelect(tab.id)}
            className={`-mb-px border-b-2 px-3 py-2 text-sm ${selected ? 'border-brand-600 font-semibold text-brand-700' : 'border-transparent text-slate-700 hover:text-slate-900'}`}
          >
            {tab.label}
          </button>
        )
      })}
    </div>
  )
}

function ScheduledRow({ item, onCancel, onReschedule }: { item: Scheduled; onCancel: () => void; onReschedule: () => void }) {
  const badge = STATUS_BADGE[item.status]
  const zoned = inZone(item.send_at, item.timezone, item.local_send_at)
  const sameZone = item.timezone === viewerTimeZone()
  return (
    <li className="flex flex-col gap-2 px-4 py-3 sm:flex-row sm:items-start">
      <div className="min-w-0 flex-1">
        <p className="truncate text-sm text-slate-700">To: {recipientsOf(item)}</p>
        <p className="truncate font-medium text-slate-900">{subjectOf(item)}</p>
        <p className="text-sm text-slate-700">
          <time dateTime={item.send_at}>
            {zoned} ({item.timezone.replace(/_/g, ' ')})
          </time>
          {!sameZone && <span className="text-slate-600"> · your time: {inViewerZone(item.send_at)}</span>}
        </p>
        {item.status === 'failed' && item.error && <p className="text-sm text-red-700">Failed: {item.error}</p>}
        {item.status === 'sent' && item.sent_message_id && (
          <Link to={`/mail/SENT/${encodeURIComponent(item.sent_message_id)}`} className="text-sm text-brand-700 underline">
            View sent message
          </Link>
        )}
      </div>
      <span className={`shrink-0 self-start rounded-full px-2 py-0.5 text-xs font-medium ring-1 ${badge.className}`}>{badge.text}</span>
      {item.status === 'scheduled' && (
        <div className="flex shrink-0 gap-2">
          <Button size="sm" aria-label={`Reschedule: ${subjectOf(item)}`} onClick={onReschedule}>
            Reschedule
          </Button>
          <Button size="sm" variant="ghost" aria-label={`Cancel scheduled email: ${subjectOf(item)}`} onClick={onCancel}>
            Cancel
          </Button>
        </div>
      )}
    </li>
  )
}

export function ScheduledPage() {
  const panelId = useId()
  const [params, setParams] = useSearchParams()
  const tab = TABS.find((t) => t.id === params.get('status')) ?? DEFAULT_TAB
  const list = useInfiniteQuery(scheduledQueryOptions(tab.statuses))
  const cancel = useCancelScheduled()
  const reschedule = useRescheduleScheduled()
  const [cancelling, setCancelling] = useState<Scheduled | null>(null)
  const [moving, setMoving] = useState<Scheduled | null>(null)
  const items = list.data?.pages.flatMap((page) => page.data) ?? []

  const selectTab = (id: string) => setParams(id === 'scheduled' ? {} : { status: id }, { replace: true })

  const confirmCancel = () => {
    if (!cancelling) return
    cancel.mutate(cancelling.id, {
      onSuccess: () => {
        setCancelling(null)
        toast('Scheduled email cancelled')
      },
    })
  }

  const submitReschedule = (sendAt: string, timeZone: string) => {
    if (!moving) return
    reschedule.mutate(
      { scheduledId: moving.id, sendAt, timeZone },
      {
        onSuccess: (moved) => {
          setMoving(null)
          const when = inZone(moved.send_at, moved.timezone, moved.local_send_at)
          const description = [`Sends ${when} (${moved.timezone}).`, moved.adjustment].filter(Boolean).join(' ')
          toast.success('Rescheduled', { description, duration: moved.adjustment ? 10_000 : 4_000 })
        },
      },
    )
  }

  let content
  if (list.isPending) content = <Loading label="Loading scheduled emails…" />
  else if (items.length === 0 && list.isError) content = <ErrorMessage error={list.error} className="m-4" />
  else if (items.length === 0) content = <EmptyState title={tab.empty}>Use “Schedule send” while writing a message to send it later.</EmptyState>
  else
    content = (
      <>
        <ul aria-label="Scheduled emails" className="divide-y divide-slate-200">
          {items.map((item) => (
            <ScheduledRow
              key={item.id}
              item={item}
              onCancel={() => {
                cancel.reset()
                setCancelling(item)
              }}
              onReschedule={() => {
                reschedule.reset()
                setMoving(item)
              }}
            />
          ))}
        </ul>
        {list.hasNextPage && (
          <div className="flex justify-center p-4">
            <Button onClick={() => void list.fetchNextPage()} busy={list.isFetchingNextPage}>
              Load more
            </Button>
          </div>
        )}
        {list.isError && <ErrorMessage error={list.error} className="m-4" />}
      </>
    )

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <PageHeader title="Scheduled" />
      <StatusTabs current={tab.id} onSelect={selectTab} panelId={panelId} />
      <div id={panelId} role="tabpanel" aria-labelledby={`${panelId}-tab-${tab.id}`} className="min-h-0 flex-1 overflow-y-auto">
        {content}
      </div>
      <Dialog
        open={cancelling !== null}
        title="Cancel this scheduled email?"
        onClose={() => setCancelling(null)}
        footer={
          <>
            <Button onClick={() => setCancelling(null)}>Keep it</Button>
            <Button variant="danger" busy={cancel.isPending} onClick={confirmCancel}>
              Cancel email
            </Button>
          </>
        }
      >
        <p className="text-sm text-slate-700">“{cancelling ? subjectOf(cancelling) : ''}” will not be sent.</p>
        <ErrorMessage error={cancel.error} className="mt-2" />
      </Dialog>
      <ScheduleDialog
        open={moving !== null}
        title="Reschedule"
        submitLabel="Reschedule"
        initialSendAt={moving ? wallTimeOf(moving.local_send_at) : undefined}
        initialTimeZone={moving?.timezone}
        busy={reschedule.isPending}
        error={reschedule.error}
        onSubmit={({ sendAt, timeZone }) => submitReschedule(sendAt, timeZone)}
        onClose={() => setMoving(null)}
      />
    </div>
  )
}
