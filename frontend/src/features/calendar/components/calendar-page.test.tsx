import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { apiError, envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { CalendarPage } from './calendar-page'
import { ContactsPage } from './contacts-page'

function event(id: string, title: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    series_id: id,
    title,
    start: '2026-12-10T15:00:00Z',
    end: '2026-12-10T15:30:00Z',
    local_start: '2026-12-10T15:00:00+00:00',
    local_end: '2026-12-10T15:30:00+00:00',
    timezone: 'Europe/Lisbon',
    all_day: false,
    description: '',
    location: '',
    organizer: 'me@demo.example',
    attendees: [],
    recurrence: [],
    recurring_event_id: null,
    conference_url: null,
    reminders: [],
    status: 'confirmed',
    busy: true,
    my_response: null,
    can_edit: true,
    ...overrides,
  }
}

const OFFSITE = event('off', 'Team offsite', {
  organizer: 'carol@contoso.example',
  can_edit: false,
  my_response: 'needsAction',
  attendees: [
    { email: 'carol@contoso.example', name: 'Carol', response: 'accepted', optional: false, organizer: true },
    { email: 'me@demo.example', name: 'You', response: 'needsAction', optional: false, organizer: false },
  ],
})

function list(events: unknown[]) {
  return envelope({ timezone: 'Europe/Lisbon', start: '2026-12-07T00:00:00Z', end: '2026-12-21T00:00:00Z', events })
}

describe('CalendarPage', () => {
  it('shows the agenda in the calendar zone and answers an invitation', async () => {
    const seen = mockApi({
      'GET /api/v1/calendar/events': () => list([event('e1', 'Budget sync'), OFFSITE]),
      'POST /api/v1/calendar/events/off/respond': () => envelope({ ...OFFSITE, my_response: 'accepted' }),
    })
    const user = userEvent.setup()
    renderWithApp(<CalendarPage />, { url: '/calendar?from=2026-12-07', path: '/calendar' })
    await screen.findByText('Budget sync')
    expect(screen.getByLabelText('Time zone')).toHaveTextContent('Times in Europe/Lisbon')
    expect(seen[0]?.search.get('start')).toBe('2026-12-07T00:00:00Z')
    expect(screen.getByText(/Organised by carol@contoso.example/)).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Accept' }))
    await waitFor(() => expect(seen.some((r) => r.method === 'POST' && (r.body as { response: string }).response === 'accepted')).toBe(true))
  })

  it('creates an event with an attendee from the address book, with the zone offset of that day', async () => {
    const seen = mockApi({
      'GET /api/v1/calendar/events': () => list([]),
      'GET /api/v1/contacts/search': () =>
        envelope([{ id: 'c1', name: 'Alice Chen', emails: ['alice@northwind.example'], organisation: 'Northwind', title: '', phones: [], photo_url: null, other: false }]),
      'POST /api/v1/calendar/events': () => envelope(event('new', 'Lunch'), {}, 201),
    })
    const user = userEvent.setup()
    renderWithApp(<CalendarPage />, { url: '/calendar?from=2026-12-07', path: '/calendar' })
    await screen.findByText('Nothing on your calendar these days.')
    await user.click(screen.getByRole('button', { name: 'New event' }))
    const dialog = await screen.findByRole('dialog', { name: 'New event' })
    await user.type(within(dialog).getByLabelText('Title'), 'Lunch')
    const starts = within(dialog).getByLabelText('Starts')
    await user.clear(starts)
    await user.type(starts, '2026-07-01T12:00')
    const ends = within(dialog).getByLabelText('Ends')
    await user.clear(ends)
    await user.type(ends, '2026-07-01T13:00')
    await user.type(within(dialog).getByRole('combobox', { name: 'Attendees' }), 'ali')
    await waitFor(() => expect(seen.some((r) => r.path === '/api/v1/contacts/search')).toBe(true))
    await user.keyboard('{Enter}')
    expect(within(dialog).getByRole('list', { name: 'Invited' })).toHaveTextContent('alice@northwind.example')
    await user.click(within(dialog).getByRole('button', { name: 'Save and send invitations' }))
    await waitFor(() => expect(seen.some((r) => r.method === 'POST' && r.path === '/api/v1/calendar/events')).toBe(true))
    const body = seen.find((r) => r.method === 'POST')?.body as { start: string; end: string; attendees: { email: string }[] }
    expect(body.start).toBe('2026-07-01T12:00:00+01:00') // Lisbon summer time
    expect(body.attendees.map((a) => a.email)).toEqual(['alice@northwind.example'])
  })

  it('keeps a name typed when Enter comes before its suggestions, and picks the suggestion on the next Enter', async () => {
    let answer: (() => void) | undefined
    const searched = new Promise<void>((resolve) => (answer = resolve))
    mockApi({
      'GET /api/v1/calendar/events': () => list([]),
      'GET /api/v1/contacts/search': async () => {
        await searched
        return envelope([{ id: 'c1', name: 'Alice Chen', emails: ['alice@northwind.example'], organisation: 'Northwind', title: '', phones: [], photo_url: null, other: false }])
      },
    })
    const user = userEvent.setup()
    renderWithApp(<CalendarPage />, { url: '/calendar?from=2026-12-07', path: '/calendar' })
    await screen.findByText('Nothing on your calendar these days.')
    await user.click(screen.getByRole('button', { name: 'New event' }))
    const dialog = await screen.findByRole('dialog', { name: 'New event' })
    const attendees = within(dialog).getByRole('combobox', { name: 'Attendees' })
    await user.type(attendees, 'alice')
    await user.keyboard('{Enter}') // the search has not answered yet
    expect(attendees).toHaveValue('alice')
    expect(within(dialog).getByRole('list', { name: 'Invited' })).toHaveTextContent('')
    answer?.()
    await waitFor(() => expect(within(dialog).getAllByRole('option', { hidden: true })).toHaveLength(1))
    await user.keyboard('{Enter}')
    expect(within(dialog).getByRole('list', { name: 'Invited' })).toHaveTextContent('alice@northwind.example')
    expect(attendees).toHaveValue('')
  })

  it('has a week view with the days as columns', async () => {
    mockApi({ 'GET /api/v1/calendar/events': () => list([event('e1', 'Budget sync')]) })
    renderWithApp(<CalendarPage />, { url: '/calendar?view=week&from=2026-12-10', path: '/calendar' })
    await screen.findByText(/Budget sync/)
    expect(screen.getAllByRole('columnheader')).toHaveLength(7)
    expect(screen.getByRole('button', { name: 'Week' })).toHaveAttribute('aria-pressed', 'true')
  })
})

describe('ContactsPage', () => {
  it('searches the address book', async () => {
    const seen = mockApi({
      'GET /api/v1/contacts/search': (request) =>
        envelope(
          request.search.get('q') === 'john'
            ? [{ id: 'c2', name: 'John Smith', emails: ['john.smith@contoso.example'], organisation: 'Contoso', title: 'Designer', phones: [], photo_url: null, other: false }]
            : [],
        ),
    })
    const user = userEvent.setup()
    renderWithApp(<ContactsPage />, { url: '/contacts', path: '/contacts' })
    await user.type(screen.getByLabelText('Search contacts'), 'john')
    await screen.findByText('John Smith')
    expect(screen.getByText('Designer, Contoso')).toBeInTheDocument()
    expect(seen.at(-1)?.search.get('q')).toBe('john')
  })
})

describe('Reconnect prompt', () => {
  const MESSAGE =
    'The Google account ann@gmail.example was connected without calendar access. Reconnect to allow calendar access: Mail accounts → Reconnect (your mail keeps working meanwhile).'

  it('offers to reconnect a Google account connected without calendar access, and comes back to the calendar', async () => {
    const assign = vi.fn()
    vi.stubGlobal('location', { ...window.location, assign })
    const seen = mockApi({
      'GET /api/v1/calendar/events': () => apiError(409, 'reauth_required', MESSAGE, [{ reason: 'scope_missing', needs: 'calendar' }]),
      'GET /api/v1/mail/accounts/google/authorize': () => envelope({ url: 'https://accounts.example/consent?x=1' }),
    })
    const user = userEvent.setup()
    renderWithApp(<CalendarPage />, { url: '/calendar', path: '/calendar' })
    const prompt = await screen.findByRole('region', { name: 'Reconnect to allow calendar access' })
    expect(within(prompt).getByText(MESSAGE)).toBeInTheDocument()
    await user.click(within(prompt).getByRole('button', { name: 'Reconnect Google account' }))
    await waitFor(() => expect(assign).toHaveBeenCalledWith('https://accounts.example/consent?x=1'))
    expect(seen.find((r) => r.path.endsWith('/authorize'))?.search.get('return_to')).toBe('/calendar')
    vi.unstubAllGlobals()
  })

  it('shows other errors as they are, without a reconnect button', async () => {
    mockApi({ 'GET /api/v1/contacts/search': () => apiError(503, 'service_unavailable', 'Google Contacts is unavailable right now; try again later.') })
    renderWithApp(<ContactsPage />, { url: '/contacts', path: '/contacts' })
    expect(await screen.findByRole('alert')).toHaveTextContent('Google Contacts is unavailable right now')
    expect(screen.queryByRole('button', { name: 'Reconnect Google account' })).not.toBeInTheDocument()
  })
})

describe('Reconnect prompt after a revoked grant', () => {
  it('offers to reconnect when Google no longer accepts the account', async () => {
    mockApi({
      'GET /api/v1/calendar/events': () =>
        apiError(409, 'reauth_required', 'The account ann@gmail.example must be connected again to allow calendar and contacts access.'),
    })
    renderWithApp(<CalendarPage />, { url: '/calendar', path: '/calendar' })
    const prompt = await screen.findByRole('region', { name: 'Reconnect your Google account' })
    expect(within(prompt).getByRole('button', { name: 'Reconnect Google account' })).toBeInTheDocument()
  })
})
