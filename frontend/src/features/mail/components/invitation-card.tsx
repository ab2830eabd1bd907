// An invitation carried by a mail (a text/calendar part): what, when in the event's zone, who, and Accept/Maybe/Decline.
import { useQuery } from '@tanstack/react-query'
import { toast } from 'sonner'
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import { mailInvitationQueryOptions, useAnswerInvitation, type InvitationAnswer } from '../api/mail-invitation'

const ANSWERS: { value: InvitationAnswer; label: string }[] = [
  { value: 'accepted', label: 'Accept' },
  { value: 'tentative', label: 'Maybe' },
  { value: 'declined', label: 'Decline' },
]

export function InvitationCard({ messageId }: { messageId: string }) {
  const invitation = useQuery(mailInvitationQueryOptions(messageId))
  const answer = useAnswerInvitation(messageId)
  if (!invitation.data) return null
  const { event, on_calendar: onCalendar, method } = invitation.data
  const mine = onCalendar?.my_response ?? event.my_response
  const when = new Date(event.start).toLocaleString(undefined, { timeZone: event.timezone, dateStyle: 'full', timeStyle: 'short' })
  const until = new Date(event.end).toLocaleTimeString(undefined, { timeZone: event.timezone, timeStyle: 'short' })
  return (
    <section aria-label="Invitation" className="my-3 rounded-md border border-brand-200 bg-brand-50 p-3">
      <p className="font-medium text-slate-900">{method === 'CANCEL' ? `Cancelled: ${event.title}` : `Invitation: ${event.title}`}</p>
      <p className="text-sm text-slate-700">
        {when}–{until} ({event.timezone.replace(/_/g, ' ')})
        {event.location && ` · ${event.location}`}
      </p>
      <p className="text-sm text-slate-600">From {event.organizer} · {event.attendees.length} invited · you: {mine ?? 'not answered'}</p>
      {method === 'REQUEST' && event.can_edit === false && (
        <div className="mt-2 flex gap-2">
          {ANSWERS.map((a) => (
            <Button
              key={a.value}
              size="sm"
              variant={mine === a.value ? 'primary' : 'secondary'}
              aria-pressed={mine === a.value}
              busy={answer.isPending && answer.variables === a.value}
              onClick={() => answer.mutate(a.value, { onSuccess: () => toast(`Answered ${a.label.toLowerCase()}; ${event.organizer} is told`) })}
            >
              {a.label}
            </Button>
          ))}
        </div>
      )}
      {answer.isError && <ErrorMessage error={answer.error} />}
    </section>
  )
}
