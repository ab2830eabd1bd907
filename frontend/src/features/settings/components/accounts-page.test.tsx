import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { getActiveAccountId, setActiveAccountId } from '@/lib/active-account'
import { apiError, envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { AccountsPage } from './accounts-page'

const gmail = { id: 'a1', provider: 'google', address: 'ann@gmail.com', status: 'active', scopes: [], created_at: '2026-01-01T00:00:00Z', last_error: null }
const demo = { id: 'd1', provider: 'demo', address: 'demo@mailagent.local', status: 'active', scopes: [], created_at: '2026-01-02T00:00:00Z', last_error: null }

afterEach(() => {
  vi.unstubAllGlobals()
  setActiveAccountId(null)
})

describe('AccountsPage', () => {
  it('connects the demo mailbox, makes it active and refreshes accounts, labels and mail', async () => {
    let accounts: (typeof gmail)[] = []
    const seen = mockApi({
      'GET /api/v1/mail/accounts': () => envelope(accounts),
      'POST /api/v1/mail/accounts/demo': () => {
        accounts = [demo]
        return envelope(demo, {}, 201)
      },
    })
    const { queryClient } = renderWithApp(<AccountsPage />, { url: '/settings/accounts', path: '/settings/accounts' })
    const invalidate = vi.spyOn(queryClient, 'invalidateQueries')
    expect(await screen.findByText('No mailbox connected yet')).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Use the demo mailbox' }))
    expect(await screen.findByText('demo@mailagent.local', { selector: 'span' })).toBeInTheDocument()
    expect(seen.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual(['/api/v1/mail/accounts/demo'])
    expect(getActiveAccountId()).toBe('d1')
    const roots = invalidate.mock.calls.map(([filters]) => filters?.queryKey?.[0])
    expect(roots).toEqual(expect.arrayContaining(['accounts', 'labels', 'emails']))
  })

  it('connects an IMAP mailbox with a preset and an app password, and shows a refused password', async () => {
    const imap = { id: 'i1', provider: 'imap', address: 'ann@fastmail.com', status: 'active', scopes: [], created_at: '2026-01-03T00:00:00Z', last_error: null }
    let accounts: (typeof gmail)[] = []
    let attempts = 0
    const seen = mockApi({
      'GET /api/v1/mail/accounts': () => envelope(accounts),
      'GET /api/v1/mail/accounts/imap/presets': () =>
        envelope([
          {
            id: 'fastmail',
            name: 'Fastmail',
            imap: { host: 'imap.fastmail.com', port: 993, security: 'tls' },
            smtp: { host: 'smtp.fastmail.com', port: 465, security: 'tls' },
            help: 'Fastmail Settings > App passwords.',
          },
        ]),
      'POST /api/v1/mail/accounts/imap': () => {
        attempts += 1
        if (attempts === 1) return apiError(422, 'validation_failed', 'The IMAP server imap.fastmail.com:993 refused the password for ann@fastmail.com.')
        accounts = [imap]
        return envelope(imap, {}, 201)
      },
    })
    renderWithApp(<AccountsPage />, { url: '/settings/accounts', path: '/settings/accounts' })
    await userEvent.click(await screen.findByRole('button', { name: 'Connect IMAP mailbox' }))
    const dialog = await screen.findByRole('dialog', { name: 'Connect an IMAP mailbox' })
    expect(await within(dialog).findByText('Fastmail Settings > App passwords.')).toBeInTheDocument()
    await userEvent.type(within(dialog).getByLabelText('Email address'), 'ann@fastmail.com')
    await userEvent.type(within(dialog).getByLabelText('App password'), 'wrong-one')
    await userEvent.click(within(dialog).getByRole('button', { name: 'Connect' }))
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('refused the password')
    await userEvent.clear(within(dialog).getByLabelText('App password'))
    await userEvent.type(within(dialog).getByLabelText('App password'), 'abcd-efgh-ijkl')
    await userEvent.click(within(dialog).getByRole('button', { name: 'Connect' }))
    expect(await screen.findByText('ann@fastmail.com', { selector: 'span' })).toBeInTheDocument()
    const posts = seen.filter((r) => r.method === 'POST')
    expect(posts.map((r) => r.body)).toEqual([
      { address: 'ann@fastmail.com', password: 'wrong-one', preset: 'fastmail', username: null },
      { address: 'ann@fastmail.com', password: 'abcd-efgh-ijkl', preset: 'fastmail', username: null },
    ])
    expect(getActiveAccountId()).toBe('i1')
    expect(screen.queryByDisplayValue('abcd-efgh-ijkl')).not.toBeInTheDocument()
  })

  it('shows the reason when Google is not configured', async () => {
    const assign = vi.fn()
    vi.stubGlobal('location', { ...window.location, assign })
    const seen = mockApi({
      'GET /api/v1/mail/accounts': () => envelope([]),
      'GET /api/v1/mail/accounts/google/authorize': () => apiError(503, 'not_configured', 'Google sign-in is not configured on this server.'),
    })
    renderWithApp(<AccountsPage />, { url: '/settings/accounts', path: '/settings/accounts' })
    await userEvent.click(await screen.findByRole('button', { name: 'Connect Gmail' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('Google sign-in is not configured on this server.')
    expect(seen.find((r) => r.path.endsWith('/authorize'))?.search.get('return_to')).toBe('/settings/accounts')
    expect(assign).not.toHaveBeenCalled()
  })

  it('sends the browser to the Google consent page', async () => {
    const assign = vi.fn()
    vi.stubGlobal('location', { ...window.location, assign })
    mockApi({
      'GET /api/v1/mail/accounts': () => envelope([]),
      'GET /api/v1/mail/accounts/google/authorize': () => envelope({ url: 'https://accounts.google.com/o/oauth2/auth?x=1' }),
    })
    renderWithApp(<AccountsPage />, { url: '/settings/accounts', path: '/settings/accounts' })
    await userEvent.click(await screen.findByRole('button', { name: 'Connect Gmail' }))
    await waitFor(() => expect(assign).toHaveBeenCalledWith('https://accounts.google.com/o/oauth2/auth?x=1'))
  })

  it('handles the OAuth return: ?connected= makes it active, ?connect_error= shows the message', async () => {
    mockApi({ 'GET /api/v1/mail/accounts': () => envelope([gmail]) })
    const first = renderWithApp(<AccountsPage />, { url: '/settings/accounts?connected=a1', path: '/settings/accounts' })
    expect(await screen.findByText(/Connected ann@gmail.com\./)).toBeInTheDocument()
    expect(getActiveAccountId()).toBe('a1')
    await waitFor(() => expect(first.router.state.location.search).toBe(''))
    first.unmount()

    renderWithApp(<AccountsPage />, { url: '/settings/accounts?connect_error=Access%20was%20denied.', path: '/settings/accounts' })
    expect(await screen.findByRole('alert')).toHaveTextContent('The mailbox could not be connected: Access was denied.')
  })

  it('warns about a mailbox that needs reconnecting', async () => {
    mockApi({ 'GET /api/v1/mail/accounts': () => envelope([{ ...gmail, status: 'reauth_required', last_error: 'invalid_grant' }]) })
    renderWithApp(<AccountsPage />, { url: '/settings/accounts', path: '/settings/accounts' })
    expect(await screen.findByText('Needs reconnecting')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Reconnect ann@gmail.com' })).toBeInTheDocument()
    expect(screen.getByText(/lost access to this mailbox \(invalid_grant\)/)).toBeInTheDocument()
  })

  it('disconnects only after confirmation', async () => {
    setActiveAccountId('a1')
    let accounts = [gmail]
    const seen = mockApi({
      'GET /api/v1/mail/accounts': () => envelope(accounts),
      'DELETE /api/v1/mail/accounts/a1': () => {
        accounts = []
        return envelope(gmail)
      },
    })
    renderWithApp(<AccountsPage />, { url: '/settings/accounts', path: '/settings/accounts' })
    await userEvent.click(await screen.findByRole('button', { name: 'Disconnect ann@gmail.com' }))
    const dialog = screen.getByRole('dialog', { name: 'Disconnect mailbox?' })
    expect(seen.some((r) => r.method === 'DELETE')).toBe(false)
    await userEvent.click(within(dialog).getByRole('button', { name: 'Disconnect' }))
    expect(await screen.findByText('No mailbox connected yet')).toBeInTheDocument()
    expect(seen.filter((r) => r.method === 'DELETE')).toHaveLength(1)
    expect(getActiveAccountId()).toBeNull()
  })
})
