// The "send later" dialog shared by compose and scheduled: a wall time, an IANA time zone and quick picks.
import { useId, useMemo, useState, type FormEvent } from 'react'
import { ApiError } from '@/lib/api-error'
import { Button } from './button'
import { Dialog } from './dialog'
import { ErrorMessage } from './error-message'

export interface ScheduleChoice {
  /** Wall time in `timeZone`, ISO 8601 without an offset (2026-12-24T09:00:00): the server resolves DST. */
  sendAt: string
  timeZone: string
}

export interface ScheduleDialogProps {
  open: boolean
  title: string
  submitLabel: string
  /** Wall time as a datetime-local value (2026-12-24T09:00) and its zone, e.g. when rescheduling. */
  initialSendAt?: string
  initialTimeZone?: string
  busy: boolean
  error: unknown
  onSubmit: (choice: ScheduleChoice) => void
  onClose: () => void
}

function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}

function allTimeZones(): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []
  return zones.includes('UTC') ? zones : ['UTC', ...zones]
}

/** Today's calendar date in a zone (year, month 1-12, day, weekday 0=Sunday). */
function todayIn(timeZone: string, now: Date): { year: number; month: number; day: number; weekday: number } {
  let parts: Intl.DateTimeFormatPart[]
  try {
    parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(now)
  } catch {
    parts = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(now)
  }
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  const year = get('year')
  const month = get('month')
  const day = get('day')
  return { year, month, day, weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay() }
}

/** The datetime-local value for 08:00 on the calendar day `daysAhead` after today in the zone. */
function eightOClock(timeZone: string, daysAhead: (weekday: number) => number, now = new Date()): string {
  const today = todayIn(timeZone, now)
  const date = new Date(Date.UTC(today.year, today.month - 1, today.day + daysAhead(today.weekday)))
  return `${date.toISOString().slice(0, 10)}T08:00`
}

const tomorrow = () => 1
// The coming Monday; on a Monday, the one a week later (this morning may be over already).
const nextMonday = (weekday: number) => ((8 - weekday) % 7 || 7)

/** A field's message from a 422: the validation detail's own text, or the error's message for domain details. */
function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined
  const own = error.fieldMessage(field)
  if (own) return own
  const named = error.details.some((d) => (d.field ?? '').split('.').includes(field))
  return named ? error.message : undefined
}

function ScheduleForm({ submitLabel, initialSendAt, initialTimeZone, busy, error, onSubmit, onClose }: Omit<ScheduleDialogProps, 'open' | 'title'>) {
  const ids = useId()
  const [sendAt, setSendAt] = useState(initialSendAt ?? '')
  const [timeZone, setTimeZone] = useState(initialTimeZone || browserTimeZone())
  const [filter, setFilter] = useState('')
  const [missing, setMissing] = useState(false)
  const zones = useMemo(() => allTimeZones(), [])
  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase().replace(/\s+/g, '_')
    const hits = needle ? zones.filter((z) => z.toLowerCase().includes(needle)) : zones
    // The chosen zone stays in the list so the select never shows a value it does not have.
    return hits.includes(timeZone) ? hits : [timeZone, ...hits]
  }, [zones, filter, timeZone])
  const sendAtError = (missing ? 'Choose a date and time.' : undefined) ?? fieldError(error, 'send_at')
  const zoneError = fieldError(error, 'timezone')
  const generalError = error && !fieldError(error, 'send_at') && !zoneError ? error : null

  const pick = (value: string) => {
    setSendAt(value)
    setMissing(false)
  }

  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (!sendAt) {
      setMissing(true)
      return
    }
    onSubmit({ sendAt: sendAt.length === 16 ? `${sendAt}:00` : sendAt, timeZone })
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-3" noValidate>
      <div className="flex flex-wrap gap-2" role="group" aria-label="Quick picks">
        <Button size="sm" onClick={() => pick(eightOClock(timeZone, tomorrow))}>
          Tomorrow 8:00
        </Button>
        <Button size="sm" onClick={() => pick(eightOClock(timeZone, nextMonday))}>
          Monday 8:00
        </Button>
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${ids}-at`} className="text-sm font-medium text-slate-700">
          Date and time
        </label>
        <input
          id={`${ids}-at`}
          type="datetime-local"
          value={sendAt}
          onChange={(e) => pick(e.target.value)}
          aria-invalid={sendAtError ? true : undefined}
          aria-describedby={sendAtError ? `${ids}-at-error` : undefined}
          className="rounded-md border border-slate-300 px-3 py-2 text-sm"
        />
        {sendAtError && (
          <p id={`${ids}-at-error`} className="text-sm text-red-700">
            {sendAtError}
          </p>
        )}
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${ids}-filter`} className="text-sm font-medium text-slate-700">
          Filter time zones
        </label>
        <input
          id={`${ids}-filter`}
          type="search"
          value={filter}
          placeholder="e.g. Berlin"
          onChange={(e) => setFilter(e.target.value)}
          className="rounded-md border border-slate-300 px-3 py-2 text-sm"
        />
        <label htmlFor={`${ids}-zone`} className="text-sm font-medium text-slate-700">
          Time zone
        </label>
        <select
          id={`${ids}-zone`}
          value={timeZone}
          onChange={(e) => setTimeZone(e.target.value)}
          aria-invalid={zoneError ? true : undefined}
          aria-describedby={zoneError ? `${ids}-zone-error` : undefined}
          className="rounded-md border border-slate-300 px-3 py-2 text-sm"
        >
          {shown.map((zone) => (
            <option key={zone} value={zone}>
              {zone.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
        {zoneError && (
          <p id={`${ids}-zone-error`} className="text-sm text-red-700">
            {zoneError}
          </p>
        )}
      </div>
      <ErrorMessage error={generalError} />
      <div className="flex justify-end gap-2 border-t border-slate-200 pt-3">
        <Button onClick={onClose}>Cancel</Button>
        <Button type="submit" variant="primary" busy={busy}>
          {submitLabel}
        </Button>
      </div>
    </form>
  )
}

export function ScheduleDialog({ open, title, onClose, ...form }: ScheduleDialogProps) {
  return (
    <Dialog open={open} title={title} onClose={onClose}>
      <ScheduleForm onClose={onClose} {...form} />
    </Dialog>
  )
}
