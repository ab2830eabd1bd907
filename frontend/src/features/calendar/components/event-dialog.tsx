// Create or edit an event: title, day and times in the calendar's zone, place, attendees picked from the address book.
import { useQuery } from '@tanstack/react-query'
import { useId, useState, type FormEvent } from 'react'
import { Button } from '@/components/button'
import { Dialog } from '@/components/dialog'
import { ErrorMessage } from '@/components/error-message'
import { TextField } from '@/components/text-field'
import type { CalendarEvent } from '../api/list-events'
import { useSaveEvent } from '../api/save-event'
import { contactSearchQueryOptions } from '../api/search-contacts'
import { wallOf, wallToIso } from '../lib/zoned-time'

export interface EventDialogProps {
  open: boolean
  timeZone: string
  event: CalendarEvent | null // null: a new event
  defaultStart: string // wall time (2026-12-10T09:00) for a new event
  onClose: () => void
  onSaved: (event: CalendarEvent) => void
}

function plusMinutes(wall: string, minutes: number): string {
  const date = new Date(`${wall}:00Z`)
  date.setUTCMinutes(date.getUTCMinutes() + minutes)
  return date.toISOString().slice(0, 16)
}

function AttendeePicker({ attendees, onChange }: { attendees: string[]; onChange: (next: string[]) => void }) {
  const [typed, setTyped] = useState('')
  const listId = useId()
  const found = useQuery({ ...contactSearchQueryOptions(typed, 8), enabled: typed.trim().length > 0 })
  const add = (address: string) => {
    const clean = address.trim().toLowerCase()
    if (clean.includes('@') && !attendees.includes(clean)) onChange([...attendees, clean])
    setTyped('')
  }
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={`${listId}-input`} className="text-sm font-medium text-slate-700">
        Attendees
      </label>
      <ul aria-label="Invited" className="flex flex-wrap gap-1">
        {attendees.map((a) => (
          <li key={a} className="flex items-center gap-1 rounded-full bg-slate-100 px-2 py-0.5 text-sm">
            {a}
            <button type="button" aria-label={`Remove ${a}`} className="text-slate-600 hover:text-slate-900" onClick={() => onChange(attendees.filter((x) => x !== a))}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <input
        id={`${listId}-input`}
        list={listId}
        value={typed}
        placeholder="Name or address, Enter to add"
        onChange={(e) => {
          const value = e.target.value
          const picked = (found.data ?? []).find((c) => `${c.name} <${c.emails[0]}>` === value)
          if (picked?.emails[0]) add(picked.emails[0])
          else setTyped(value)
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault()
            const first = (found.data ?? [])[0]
            const address = typed.includes('@') ? typed : first?.emails[0]
            // A name with no suggestion yet (the search may still be on its way) stays typed: Enter again picks it.
            if (address) add(address)
          }
        }}
        className="rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-brand-600 focus:outline-none focus:ring-2 focus:ring-brand-100"
      />
      <datalist id={listId}>
        {(found.data ?? []).map((c) => (
          <option key={c.id} value={`${c.name} <${c.emails[0]}>`}>
            {c.organisation}
          </option>
        ))}
      </datalist>
      {attendees.length > 0 && <p className="text-xs text-slate-600">Each attendee gets an invitation by e-mail when you save.</p>}
    </div>
  )
}

export function EventDialog({ open, timeZone, event, defaultStart, onClose, onSaved }: EventDialogProps) {
  const save = useSaveEvent()
  const initialStart = event ? wallOf(event.local_start) : defaultStart
  const [title, setTitle] = useState(event?.title ?? '')
  const [start, setStart] = useState(initialStart)
  const [end, setEnd] = useState(event ? wallOf(event.local_end) : plusMinutes(defaultStart, 30))
  const [location, setLocation] = useState(event?.location ?? '')
  const [description, setDescription] = useState(event?.description ?? '')
  const [attendees, setAttendees] = useState<string[]>(
    (event?.attendees ?? []).filter((a) => !a.organizer).map((a) => a.email),
  )
  const zone = event?.timezone ?? timeZone
  const formId = useId()

  const submit = (e: FormEvent) => {
    e.preventDefault()
    save.mutate(
      {
        id: event ? event.series_id : null,
        event: {
          title,
          start: wallToIso(start, zone),
          end: wallToIso(end, zone),
          timezone: zone,
          all_day: event?.all_day ?? false,
          location,
          description,
          attendees: attendees.map((email) => ({ email, name: '', optional: false })),
          recurrence: event?.recurrence ?? [],
          conference_url: event?.conference_url ?? null,
          reminders: event?.reminders ?? [],
          busy: event?.busy ?? true,
        },
      },
      { onSuccess: onSaved },
    )
  }

  return (
    <Dialog
      open={open}
      title={event ? 'Edit event' : 'New event'}
      onClose={onClose}
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form={formId} busy={save.isPending}>
            {attendees.length ? 'Save and send invitations' : 'Save'}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} className="flex flex-col gap-3 p-4">
        <TextField label="Title" required value={title} onChange={(e) => setTitle(e.target.value)} />
        <div className="grid gap-3 sm:grid-cols-2">
          <TextField label="Starts" type="datetime-local" required value={start} onChange={(e) => setStart(e.target.value)} />
          <TextField label="Ends" type="datetime-local" required value={end} onChange={(e) => setEnd(e.target.value)} />
        </div>
        <p className="text-xs text-slate-600">Times are in {zone.replace(/_/g, ' ')}.</p>
        <TextField label="Where" value={location} onChange={(e) => setLocation(e.target.value)} />
        <TextField label="Notes" value={description} onChange={(e) => setDescription(e.target.value)} />
        <AttendeePicker attendees={attendees} onChange={setAttendees} />
        {save.isError && <ErrorMessage error={save.error} />}
      </form>
    </Dialog>
  )
}
