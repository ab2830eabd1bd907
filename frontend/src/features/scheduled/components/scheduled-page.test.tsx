import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { apiError, envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { ScheduledPage } from './scheduled-page'

function scheduled(id: string, status: string, subject: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    status,
    send_at: '2026-12-24T08:00:00Z',
    timezone: 'Europe/Berlin',
    local_send_at: '2026-12-24T09:00:00+01:00',
    adjustment: null,
    account_id: 'acc-1',
    from: null,
    to: [{ name: 'Bob', address: 'bob@example.org' }],
    cc: [],
    bcc: [],
    subject,
    attachments: 0,
    attempts: 0,
    error: null,
    message_id: `<${id}@example.com>`,
    sent_message_id: null,
    created_at: '2026-11-20T12:00:00Z',
    updated_at: '2026-11-20T12:00:00Z',
    sent_at: null,
    ...overrides,
  }
}

describe('ScheduledPage', () => {
  it('filters by status with tabs', async () => {
    const seen = mockApi({ 'GET /api/v1/emails/scheduled': () => envelope([scheduled('s1', 'scheduled', 'Greetings')], { total: 1 }) })
    const user = userEvent.setup()
    renderWithApp(<ScheduledPage />, { url: '/scheduled', path: '/scheduled' })
    expect(screen.getByRole('heading', { level: 1, name: 'Scheduled' })).toBeInTheDocument()
    expect(screen.getByRole('tab', { name: 'Scheduled' })).toHaveAttribute('aria-selected', 'true')
    await screen.findByText('Greetings')
    expect(seen[0]?.search.getAll('status')).toEqual(['scheduled', 'sending'])
    expect(screen.getByText(/Dec 24, 2026/, { selector: 'time' })).toHaveTextContent('(Europe/Berlin)')

    await user.click(screen.getByRole('tab', { name: 'Failed' }))
    await waitFor(() => expect(seen.at(-1)?.search.getAll('status')).toEqual(['failed']))
    expect(screen.getByRole('tab', { name: 'Failed' })).toHaveAttribute('aria-selected', 'true')
    // Arrow keys move between tabs.
    await user.keyboard('{ArrowRight}')
    expect(screen.getByRole('tab', { name: 'Cancelled' })).toHaveFocus()
    await waitFor(() => expect(seen.at(-1)?.search.getAll('status')).toEqual(['cancelled']))
    await user.click(screen.getByRole('tab', { name: 'All' }))
    await waitFor(() => expect(seen.at(-1)?.search.getAll('status')).toEqual([]))
  })

  it('offers Cancel only while scheduled and shows the 409 message', async () => {
    const seen = mockApi({
      'GET /api/v1/emails/scheduled': () =>
        envelope([scheduled('s1', 'scheduled', 'Waiting one'), scheduled('s2', 'sent', 'Done one', { sent_at: '2026-12-24T08:00:01Z' })], { total: 2 }),
      'DELETE /api/v1/emails/scheduled/s1': () => apiError(409, 'conflict', 'This email is being sent right now; it is too late to cancel it.'),
    })
    const user = userEvent.setup()
    renderWithApp(<ScheduledPage />, { url: '/scheduled?status=all', path: '/scheduled' })
    const list = await screen.findByRole('list', { name: 'Scheduled emails' })
    const [waiting, done] = within(list).getAllByRole('listitem')
    expect(waiting).toHaveTextContent(/Waiting one.*Scheduled/)
    expect(done).toHaveTextContent(/Done one.*Sent/)
    expect(screen.getByRole('button', { name: 'Cancel scheduled email: Waiting one' })).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Cancel scheduled email: Done one' })).not.toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Reschedule: Done one' })).not.toBeInTheDocument()

    await user.click(screen.getByRole('button', { name: 'Cancel scheduled email: Waiting one' }))
    const dialog = screen.getByRole('dialog', { name: 'Cancel this scheduled email?' })
    await user.click(within(dialog).getByRole('button', { name: 'Cancel email' }))
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('This email is being sent right now; it is too late to cancel it.')
    expect(seen.filter((r) => r.method === 'DELETE')).toHaveLength(1)
  })

  it('reschedules with the picker, starting from the current wall time and zone', async () => {
    const seen = mockApi({
      'GET /api/v1/emails/scheduled': () => envelope([scheduled('s1', 'scheduled', 'Waiting one')], { total: 1 }),
      'PATCH /api/v1/emails/scheduled/s1': () => envelope(scheduled('s1', 'scheduled', 'Waiting one')),
    })
    const user = userEvent.setup()
    renderWithApp(<ScheduledPage />, { url: '/scheduled', path: '/scheduled' })
    await user.click(await screen.findByRole('button', { name: 'Reschedule: Waiting one' }))
    const dialog = screen.getByRole('dialog', { name: 'Reschedule' })
    expect(within(dialog).getByLabelText('Date and time')).toHaveValue('2026-12-24T09:00')
    expect(within(dialog).getByRole('combobox', { name: 'Time zone' })).toHaveValue('Europe/Berlin')
    await user.selectOptions(within(dialog).getByRole('combobox', { name: 'Time zone' }), 'America/New_York')
    await user.click(within(dialog).getByRole('button', { name: 'Reschedule' }))
    await waitFor(() => expect(seen.filter((r) => r.method === 'PATCH')).toHaveLength(1))
    expect(seen.find((r) => r.method === 'PATCH')?.body).toEqual({ send_at: '2026-12-24T09:00:00', timezone: 'America/New_York' })
    await waitFor(() => expect(dialog).not.toHaveAttribute('open'))
  })

  it('shows an empty state per tab', async () => {
    mockApi({ 'GET /api/v1/emails/scheduled': () => envelope([], { total: 0 }) })
    renderWithApp(<ScheduledPage />, { url: '/scheduled?status=failed', path: '/scheduled' })
    expect(await screen.findByText('No scheduled email failed.')).toBeInTheDocument()
  })
})
