// /calendar: the agenda of the coming days or a week grid, in the calendar's own zone (shown), with a today line,
// new/edit/cancel and answers to invitations.
import { useQuery } from '@tanstack/react-query'
import { useMemo, useState } from 'react'
import { useSearchParams } from 'react-router'
import { toast } from 'sonner'
import { Button } from '@/components/button'
import { EmptyState } from '@/components/empty-state'
import { Loading } from '@/components/loading'
import { PageHeader } from '@/components/page-header'
import { useDeleteEvent } from '../api/delete-event'
import { eventsQueryOptions, type CalendarEvent } from '../api/list-events'
import { useRespondToEvent, type Answer } from '../api/respond-event'
import { addDays, dayKey, formatDay, formatTime, minuteOfDay, mondayOf } from '../lib/zoned-time'
import { EventDialog } from './event-dialog'
import { CalendarErrorOrReconnect } from './reconnect-prompt'

const ANSWERS: { value: Answer; label: string }[] = [
  { value: 'accepted', label: 'Accept' },
  { value: 'tentative', label: 'Maybe' },
  { value: 'declined', label: 'Decline' },
]
const RESPONSE_TEXT: Record<string, string> = { accepted: 'accepted', tentative: 'maybe', declined: 'declined', needsAction: 'not answered' }

function todayKey(): string {
  return new Date().toISOString().slice(0, 10)
}

function when(e: CalendarEvent, zone: string): string {
  return e.all_day ? 'All day' : `${formatTime(e.start, zone)}–${formatTime(e.end, zone)}`
}

function EventItem({ event, zone, onEdit }: { event: CalendarEvent; zone: string; onEdit: () => void }) {
  const respond = useRespondToEvent()
  const remove = useDeleteEvent()
  const guests = event.attendees.filter((a) => !a.organizer)
  return (
    <li className="flex flex-col gap-1 px-4 py-3 sm:flex-row sm:items-start sm:gap-4">
      <p className="w-32 shrink-0 text-sm font-medium text-slate-700">{when(event, zone)}</p>
      <div className="min-w-0 flex-1">
        <p className="font-medium text-slate-900">{event.title}</p>
        {event.location && <p className="text-sm text-slate-700">{event.location}</p>}
        {guests.length > 0 && (
          <p className="text-sm text-slate-600">
            With {guests.map((a) => `${a.name || a.email} (${RESPONSE_TEXT[a.response] ?? a.response})`).join(', ')}
          </p>
        )}
        {!event.can_edit && <p className="text-sm text-slate-600">Organised by {event.organizer} · you: {RESPONSE_TEXT[event.my_response ?? 'needsAction']}</p>}
        {event.conference_url && (
          <a href={event.conference_url} className="text-sm text-brand-700 underline" rel="noreferrer noopener" target="_blank">
            Join
          </a>
        )}
      </div>
      <div className="flex shrink-0 flex-wrap gap-2">
        {event.can_edit ? (
          <>
            <Button size="sm" onClick={onEdit} aria-label={`Edit ${event.title}`}>
              Edit
            </Button>
            <Button
              size="sm"
              variant="ghost"
              aria-label={`Cancel ${event.title}`}
              busy={remove.isPending}
              onClick={() => remove.mutate(event.id, { onSuccess: () => toast(`Cancelled ${event.title}`) })}
            >
              Cancel event
            </Button>
          </>
        ) : (
          ANSWERS.map((a) => (
            <Button
              key={a.value}
              size="sm"
              variant={event.my_response === a.value ? 'primary' : 'secondary'}
              aria-pressed={event.my_response === a.value}
              busy={respond.isPending && respond.variables?.response === a.value}
              onClick={() => respond.mutate({ id: event.id, response: a.value }, { onSuccess: () => toast(`Answered ${a.label.toLowerCase()}; ${event.organizer} is told`) })}
            >
              {a.label}
            </Button>
          ))
        )}
      </div>
    </li>
  )
}

function Agenda({ events, zone, onEdit }: { events: CalendarEvent[]; zone: string; onEdit: (e: CalendarEvent) => void }) {
  const byDay = new Map<string, CalendarEvent[]>()
  for (const e of events) {
    const key = e.all_day ? e.local_start.slice(0, 10) : dayKey(e.start, zone)
    byDay.set(key, [...(byDay.get(key) ?? []), e])
  }
  if (events.length === 0) return <EmptyState title="Nothing on your calendar these days.">Use “New event” to add one.</EmptyState>
  return (
    <div>
      {[...byDay.entries()].map(([day, list]) => (
        <section key={day} aria-label={formatDay(day)}>
          <h2 className="sticky top-0 border-b border-slate-200 bg-slate-50 px-4 py-1 text-sm font-semibold text-slate-700">{formatDay(day)}</h2>
          <ul className="divide-y divide-slate-100">
            {list.map((e) => (
              <EventItem key={e.id} event={e} zone={zone} onEdit={() => onEdit(e)} />
            ))}
          </ul>
        </section>
      ))}
    </div>
  )
}

const HOUR_PX = 40

function Week({ monday, events, zone, onEdit }: { monday: string; events: CalendarEvent[]; zone: string; onEdit: (e: CalendarEvent) => void }) {
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i))
  const now = new Date()
  const today = dayKey(now, zone)
  const nowMinute = minuteOfDay(now, zone)
  return (
    <div className="overflow-x-auto">
      <div role="grid" aria-label="Week" className="grid min-w-[48rem] grid-cols-[3rem_repeat(7,1fr)]">
        <div />
        {days.map((d) => (
          <div key={d} role="columnheader" className={`border-b border-slate-200 px-2 py-1 text-center text-xs font-semibold ${d === today ? 'text-brand-700' : 'text-slate-700'}`}>
            {formatDay(d)}
          </div>
        ))}
        <div className="relative" style={{ height: 24 * HOUR_PX }}>
          {Array.from({ length: 24 }, (_, h) => (
            <div key={h} className="absolute right-1 text-[10px] text-slate-500" style={{ top: h * HOUR_PX }}>
              {String(h).padStart(2, '0')}:00
            </div>
          ))}
        </div>
        {days.map((d) => (
          <div key={d} role="gridcell" aria-label={formatDay(d)} className="relative border-l border-slate-100" style={{ height: 24 * HOUR_PX }}>
            {d === today && (
              <div data-testid="today-line" aria-hidden="true" className="absolute inset-x-0 z-10 border-t-2 border-red-500" style={{ top: (nowMinute / 60) * HOUR_PX }} />
            )}
            {events
              .filter((e) => !e.all_day && dayKey(e.start, zone) === d)
              .map((e) => {
                const top = (minuteOfDay(e.start, zone) / 60) * HOUR_PX
                const length = Math.max(20, ((new Date(e.end).getTime() - new Date(e.start).getTime()) / 3_600_000) * HOUR_PX)
                return (
                  <button
                    key={e.id}
                    type="button"
                    onClick={() => e.can_edit && onEdit(e)}
                    title={`${e.title} ${when(e, zone)}`}
                    className="absolute inset-x-1 overflow-hidden rounded bg-brand-100 px-1 text-left text-[11px] text-brand-900 ring-1 ring-brand-200"
                    style={{ top, height: Math.min(length, 24 * HOUR_PX - top) }}
                  >
                    {formatTime(e.start, zone)} {e.title}
                  </button>
                )
              })}
          </div>
        ))}
      </div>
    </div>
  )
}

export function CalendarPage() {
  const [params, setParams] = useSearchParams()
  const view = params.get('view') === 'week' ? 'week' : 'agenda'
  const from = params.get('from') ?? todayKey()
  const start = view === 'week' ? mondayOf(from) : from
  const days = view === 'week' ? 7 : 14
  const range = useMemo(() => ({ start: `${start}T00:00:00Z`, end: `${addDays(start, days)}T00:00:00Z` }), [start, days])
  const list = useQuery(eventsQueryOptions(range.start, range.end))
  const zone = list.data?.timezone ?? 'UTC'
  const [editing, setEditing] = useState<{ event: CalendarEvent | null; key: number } | null>(null)

  const go = (next: Partial<{ view: string; from: string }>) =>
    setParams({ view, from, ...next }, { replace: true })

  let content
  if (list.isPending) content = <Loading label="Loading your calendar…" />
  else if (list.isError) content = <CalendarErrorOrReconnect error={list.error} returnTo="/calendar" className="m-4" />
  else if (view === 'week') content = <Week monday={start} events={list.data.events} zone={zone} onEdit={(e) => setEditing({ event: e, key: Date.now() })} />
  else content = <Agenda events={list.data.events} zone={zone} onEdit={(e) => setEditing({ event: e, key: Date.now() })} />

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <PageHeader title="Calendar">
        <span className="text-sm text-slate-600" aria-label="Time zone">
          Times in {zone.replace(/_/g, ' ')}
        </span>
        <Button size="sm" variant={view === 'agenda' ? 'primary' : 'secondary'} aria-pressed={view === 'agenda'} onClick={() => go({ view: 'agenda' })}>
          Agenda
        </Button>
        <Button size="sm" variant={view === 'week' ? 'primary' : 'secondary'} aria-pressed={view === 'week'} onClick={() => go({ view: 'week' })}>
          Week
        </Button>
        <Button size="sm" aria-label="Earlier" onClick={() => go({ from: addDays(start, -days) })}>
          ‹
        </Button>
        <Button size="sm" onClick={() => go({ from: todayKey() })}>
          Today
        </Button>
        <Button size="sm" aria-label="Later" onClick={() => go({ from: addDays(start, days) })}>
          ›
        </Button>
        <Button size="sm" variant="primary" onClick={() => setEditing({ event: null, key: Date.now() })}>
          New event
        </Button>
      </PageHeader>
      <div className="min-h-0 flex-1 overflow-y-auto bg-white">{content}</div>
      {editing && (
        <EventDialog
          key={editing.key}
          open
          timeZone={zone}
          event={editing.event}
          defaultStart={`${addDays(todayKey(), 1)}T09:00`}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null)
            toast.success(`Saved ${saved.title}`)
          }}
        />
      )}
    </div>
  )
}
