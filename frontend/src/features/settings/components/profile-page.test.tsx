import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { getSession, signIn } from '@/lib/auth-session'
import { apiError, envelope, mockApi } from '@/test/fetch-mock'
import { testUser } from '@/test/fixtures'
import { renderWithApp } from '@/test/render'
import { ProfilePage } from './profile-page'

afterEach(() => vi.unstubAllGlobals())

const me = {
  id: 'u1',
  email: 'ann@example.com',
  role: 'admin',
  status: 'active',
  display_name: 'Ann',
  created_at: '2026-01-01T00:00:00Z',
  email_verified_at: '2026-01-02T00:00:00Z',
  scopes: [],
  auth: 'session',
  undo_send_seconds: 10,
  image_senders: ['news@shop.example'],
}
const session = (id: string, current: boolean, agent: string, ip = '127.0.0.1', place = 'This computer') => ({
  id,
  created_at: '2026-01-03T00:00:00Z',
  expires_at: '2026-02-03T00:00:00Z',
  last_used_at: null,
  revoked_at: null,
  ip,
  place,
  user_agent: agent,
  current,
})
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'

beforeEach(() => signIn({ access_token: 't', expires_in: 3600, user: testUser({ email: me.email, undo_send_seconds: 10 }) }))

describe('ProfilePage', () => {
  it('shows the user, names devices and places in words, and signs out another session', async () => {
    let sessions = [session('s1', true, FIREFOX), session('s2', false, IPHONE, '192.168.1.20', 'Local network'), session('s3', false, FIREFOX, '8.8.8.8', '8.8.8.8')]
    const seen = mockApi({
      'GET /api/v1/auth/me': () => envelope(me),
      'GET /api/v1/auth/sessions': () => envelope(sessions),
      'DELETE /api/v1/auth/sessions/s2': () => {
        sessions = sessions.filter((s) => s.id !== 's2')
        return envelope({ message: 'Signed out.' })
      },
    })
    renderWithApp(<ProfilePage />)
    expect(await screen.findByText('ann@example.com')).toBeInTheDocument()
    expect(screen.getByText('Administrator')).toBeInTheDocument()
    expect(await screen.findByText('This device')).toBeInTheDocument()
    expect(screen.getByText(/^This computer \(127\.0\.0\.1\) · signed in/)).toBeInTheDocument()
    expect(screen.getByText(/^Local network \(192\.168\.1\.20\) · signed in/)).toBeInTheDocument()
    expect(screen.getByText(/^8\.8\.8\.8 · signed in/)).toBeInTheDocument()
    expect(screen.queryByText(/Mozilla\/5\.0/)).not.toBeInTheDocument()
    // Only the other sessions can be signed out from here.
    expect(screen.getAllByRole('button', { name: /^Sign out session/ })).toHaveLength(2)
    await userEvent.click(screen.getByRole('button', { name: 'Sign out session Safari 17 on iOS 17.5 (phone), Local network' }))
    await waitFor(() => expect(screen.queryByText(/Local network \(/)).not.toBeInTheDocument())
    expect(seen.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual(['/api/v1/auth/sessions/s2'])
  })

  it('saves the display name and the undo window on the server, and the session follows', async () => {
    let current = { ...me }
    const seen = mockApi({
      'GET /api/v1/auth/me': () => envelope(current),
      'GET /api/v1/auth/sessions': () => envelope([]),
      'PATCH /api/v1/auth/me': ({ body }) => {
        current = { ...current, ...(body as object) }
        return envelope(current)
      },
    })
    renderWithApp(<ProfilePage />)
    const name = await screen.findByLabelText('Display name')
    await userEvent.clear(name)
    await userEvent.type(name, 'Ann Lee')
    await userEvent.click(screen.getByRole('button', { name: 'Save name' }))
    expect(await screen.findByText('Saved: you are shown as Ann Lee.')).toBeInTheDocument()

    await userEvent.selectOptions(screen.getByLabelText('Undo send window'), '30 seconds')
    await waitFor(() => expect(getSession().user?.undo_send_seconds).toBe(30))
    const patches = seen.filter((r) => r.method === 'PATCH').map((r) => r.body)
    expect(patches).toEqual([{ display_name: 'Ann Lee' }, { undo_send_seconds: 30 }])
    expect(screen.getByLabelText('Undo send window')).toHaveValue('30')
    expect(window.localStorage.getItem('mailagent.undoSendSeconds')).toBeNull()
  })

  it('changes the password with the current one, shows the rules, and says what went wrong next to the field', async () => {
    let attempt = 0
    const seen = mockApi({
      'GET /api/v1/auth/me': () => envelope(me),
      'GET /api/v1/auth/sessions': () => envelope([]),
      'POST /api/v1/auth/me/password': () => {
        attempt += 1
        return attempt === 1
          ? apiError(422, 'validation_failed', 'Your current password is not right.', [{ field: 'current_password', message: 'Your current password is not right.' }])
          : envelope({ message: 'Your password was changed. 2 other sessions signed out.', other_sessions_signed_out: 2 })
      },
    })
    renderWithApp(<ProfilePage />)
    const form = await screen.findByRole('form', { name: 'Change password' })
    const submit = within(form).getByRole('button', { name: 'Change password' })
    await userEvent.type(within(form).getByLabelText('Current password'), 'wrong one')
    await userEvent.type(within(form).getByLabelText('New password'), 'short')
    expect(within(form).getByRole('list', { name: 'Password rules' })).toHaveTextContent('At least 12 characters')
    expect(submit).toBeDisabled()
    await userEvent.clear(within(form).getByLabelText('New password'))
    await userEvent.type(within(form).getByLabelText('New password'), 'Another-river 77 stones!')
    await userEvent.type(within(form).getByLabelText('Repeat the new password'), 'Another-river 77 stones?')
    await userEvent.click(submit)
    expect(await within(form).findByText('The two new passwords are not the same.')).toBeInTheDocument()
    expect(seen.filter((r) => r.method === 'POST')).toHaveLength(0)

    await userEvent.clear(within(form).getByLabelText('Repeat the new password'))
    await userEvent.type(within(form).getByLabelText('Repeat the new password'), 'Another-river 77 stones!')
    await userEvent.click(submit)
    expect(await within(form).findByText('Your current password is not right.')).toBeInTheDocument()
    expect(within(form).getByLabelText('Current password')).toHaveAttribute('aria-invalid', 'true')

    await userEvent.clear(within(form).getByLabelText('Current password'))
    await userEvent.type(within(form).getByLabelText('Current password'), 'Amber-harbour 42 kites!')
    await userEvent.click(submit)
    expect(await within(form).findByText('Your password was changed. 2 other sessions signed out.')).toBeInTheDocument()
    expect(seen.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([
      { current_password: 'wrong one', new_password: 'Another-river 77 stones!' },
      { current_password: 'Amber-harbour 42 kites!', new_password: 'Another-river 77 stones!' },
    ])
    expect(within(form).getByLabelText('Current password')).toHaveValue('')
  })

  it('lists the senders whose images are shown, adds and removes them', async () => {
    let senders = [...me.image_senders]
    mockApi({
      'GET /api/v1/auth/me': () => envelope({ ...me, image_senders: senders }),
      'GET /api/v1/auth/sessions': () => envelope([]),
      'POST /api/v1/auth/me/image-senders': ({ body }) => {
        const address = (body as { address: string }).address
        if (!address.includes('@')) return apiError(422, 'validation_failed', 'value is not a valid email address')
        senders = [...senders, address.toLowerCase()]
        return envelope({ ...me, image_senders: senders })
      },
      'DELETE /api/v1/auth/me/image-senders/news%40shop.example': () => {
        senders = senders.filter((s) => s !== 'news@shop.example')
        return envelope({ ...me, image_senders: senders })
      },
    })
    renderWithApp(<ProfilePage />)
    const list = await screen.findByRole('list', { name: 'Senders whose images are shown' })
    expect(list).toHaveTextContent('news@shop.example')
    await userEvent.type(screen.getByLabelText("Sender's address"), 'Ana@Example.com')
    await userEvent.click(screen.getByRole('button', { name: 'Add sender' }))
    await waitFor(() => expect(screen.getByRole('list', { name: 'Senders whose images are shown' })).toHaveTextContent('ana@example.com'))
    expect(getSession().user?.image_senders).toEqual(['news@shop.example', 'ana@example.com'])
    await userEvent.click(screen.getByRole('button', { name: 'Stop showing images from news@shop.example' }))
    await waitFor(() => expect(screen.getByRole('list', { name: 'Senders whose images are shown' })).not.toHaveTextContent('news@shop.example'))
  })
})
