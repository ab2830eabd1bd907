import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { InvitationCard } from './invitation-card'

const EVENT = {
  id: 'offsite-uid',
  series_id: 'offsite-uid',
  title: 'Team offsite',
  start: '2026-12-16T09:00:00Z',
  end: '2026-12-16T17:00:00Z',
  local_start: '2026-12-16T09:00:00+00:00',
  local_end: '2026-12-16T17:00:00+00:00',
  timezone: 'Europe/Lisbon',
  all_day: false,
  description: '',
  location: 'Lisbon',
  organizer: 'carol@contoso.example',
  attendees: [],
  recurrence: [],
  recurring_event_id: null,
  conference_url: null,
  reminders: [],
  status: 'confirmed',
  busy: true,
  my_response: 'needsAction',
  can_edit: false,
}

describe('InvitationCard', () => {
  it('shows the invitation in its zone and answers it', async () => {
    const seen = mockApi({
      'GET /api/v1/calendar/invitations/m1': () => envelope({ message_id: 'm1', method: 'REQUEST', event: EVENT, on_calendar: EVENT }),
      'POST /api/v1/calendar/invitations/m1/respond': () => envelope({ ...EVENT, my_response: 'accepted' }),
    })
    const user = userEvent.setup()
    renderWithApp(<InvitationCard messageId="m1" />, { url: '/mail/INBOX/m1', path: '/mail/:labelId/:messageId' })
    await screen.findByText('Invitation: Team offsite')
    expect(screen.getByRole('region', { name: 'Invitation' })).toHaveTextContent('(Europe/Lisbon)')
    await user.click(screen.getByRole('button', { name: 'Accept' }))
    await waitFor(() => expect(seen.some((r) => r.method === 'POST' && (r.body as { response: string }).response === 'accepted')).toBe(true))
  })
})
