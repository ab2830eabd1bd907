import { fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { Toaster } from 'sonner'
import { signIn } from '@/lib/auth-session'
import { apiError, envelope, mockApi, type SeenRequest } from '@/test/fetch-mock'
import { testUser } from '@/test/fixtures'
import { renderWithApp } from '@/test/render'
import { mockUploads, uploaded } from '@/test/xhr-mock'
import { act } from 'react'
import { autosave } from '../lib/autosave'
import { ComposePage } from './compose-page'

function message(overrides: Record<string, unknown> = {}) {
  return {
    id: 'm1',
    thread_id: 't1',
    account: { id: 'a1', address: 'me@example.com', provider: 'demo' },
    from: { name: 'Alice', address: 'alice@example.com' },
    to: [{ name: '', address: 'me@example.com' }],
    cc: [],
    bcc: [],
    reply_to: [],
    subject: 'Lunch plans',
    snippet: 'Shall we?',
    date: '2026-11-20T12:00:00Z',
    label_ids: ['INBOX'],
    unread: false,
    starred: false,
    has_attachments: false,
    text_body: 'Shall we meet at noon?',
    html: null,
    attachments: [],
    message_id_header: '<m1@example.com>',
    in_reply_to: null,
    ...overrides,
  }
}

function renderCompose(url = '/compose') {
  // The toaster lives outside the router, as in the app, so toasts outlive the navigation after sending.
  render(<Toaster />)
  return renderWithApp(<ComposePage />, { url, path: '/compose' })
}

async function typeBody(user: ReturnType<typeof userEvent.setup>, text: string) {
  const editor = screen.getByRole('textbox', { name: 'Message body' })
  await user.click(editor)
  await user.keyboard(text)
  await waitFor(() => expect(editor).toHaveTextContent(text))
}

const posts = (seen: SeenRequest[], path: string, method = 'POST') => seen.filter((r) => r.method === method && r.path === path)

// jsdom has no layout: ProseMirror measures the selection (to scroll it into view) with Range rectangles.
function emptyRects(): DOMRectList {
  return Object.assign([], { item: () => null }) as unknown as DOMRectList
}
beforeAll(() => {
  Range.prototype.getClientRects ??= emptyRects
  Range.prototype.getBoundingClientRect ??= () => new DOMRect()
  document.elementFromPoint ??= () => null
})

// Autosave is tested on its own below; elsewhere it waits longer than any test, so a slow run cannot add a save.
beforeEach(() => {
  window.localStorage.setItem('mailagent.activeAccount', 'acc-1')
  // Sends go out at once unless a test is about the undo window (a per-user setting the session's user carries).
  signIn({ access_token: 't', expires_in: 3600, user: testUser({ undo_send_seconds: 0 }) })
  autosave.delayMs = 3_600_000
})
afterEach(() => window.localStorage.clear())

// Generous ceilings: the first test also pays for loading the editor on a busy machine.
describe('ComposePage', { timeout: 60_000 }, () => {
  it('sends html and text bodies once, with an Idempotency-Key, then goes to the inbox', async () => {
    let release: () => void = () => {}
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'POST /api/v1/emails/send': () => new Promise((resolve) => (release = () => resolve(envelope(message({ id: 'sent-1' })))))
    })
    const user = userEvent.setup()
    const { router } = renderCompose()
    expect(screen.getByRole('heading', { level: 1, name: 'New message' })).toBeInTheDocument()

    await user.type(screen.getByRole('combobox', { name: 'To' }), 'bob@example.org')
    await user.type(screen.getByRole('textbox', { name: 'Subject' }), 'Hi Bob')
    await typeBody(user, 'Hello there')
    const send = screen.getByRole('button', { name: 'Send' })
    await user.click(send)
    await user.click(send) // a double click must not send twice
    release()

    await waitFor(() => expect(router.state.location.pathname).toBe('/mail/INBOX'))
    expect(await screen.findByText('Message sent')).toBeInTheDocument()
    const sends = posts(seen, '/api/v1/emails/send')
    expect(sends).toHaveLength(1)
    expect(sends[0]?.search.get('account')).toBe('acc-1')
    expect(sends[0]?.headers.get('Idempotency-Key')).toMatch(/^[0-9a-f-]{36}$/)
    expect(sends[0]?.body).toMatchObject({
      to: ['bob@example.org'],
      subject: 'Hi Bob',
      html_body: '<p>Hello there</p>',
      text_body: 'Hello there',
      attachment_ids: [],
    })
  })

  it('blocks sending to an address that is not valid and shows API field errors next to the field', async () => {
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'POST /api/v1/emails/send': () =>
        apiError(422, 'validation_failed', 'The request is not valid: check to.', [{ field: 'to.0', message: "'x@y' is not a valid e-mail address" }]),
    })
    const user = userEvent.setup()
    renderCompose()
    const to = screen.getByRole('combobox', { name: 'To' })
    await user.type(to, 'nope')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    expect(screen.getByText('Fix or remove the addresses marked as not valid.')).toBeInTheDocument()
    expect(posts(seen, '/api/v1/emails/send')).toHaveLength(0)

    await user.click(screen.getByRole('button', { name: 'Remove nope' }))
    await user.type(to, 'x@y.zz')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    expect(await screen.findByText("'x@y' is not a valid e-mail address")).toBeInTheDocument()
    expect(to).toHaveAccessibleDescription("'x@y' is not a valid e-mail address")
  })

  it('sends with Ctrl+Enter from the body', async () => {
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'POST /api/v1/emails/send': () => envelope(message({ id: 'sent-2' })),
    })
    const user = userEvent.setup()
    renderCompose()
    await user.type(screen.getByRole('combobox', { name: 'To' }), 'bob@example.org')
    await typeBody(user, 'Quick note')
    await user.keyboard('{Control>}{Enter}{/Control}')
    await waitFor(() => expect(posts(seen, '/api/v1/emails/send')).toHaveLength(1))
    expect(posts(seen, '/api/v1/emails/send')[0]?.body).toMatchObject({ text_body: 'Quick note' })
  })

  it('saves a draft with POST, then updates the same draft with PUT and names it in the URL', async () => {
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'POST /api/v1/emails/draft': () => envelope({ id: 'd1', message: message({ id: 'dm1' }) }, {}, 201),
      'PUT /api/v1/emails/draft/d1': () => envelope({ id: 'd1', message: message({ id: 'dm1' }) }),
    })
    const user = userEvent.setup()
    const { router } = renderCompose()
    await user.type(screen.getByRole('textbox', { name: 'Subject' }), 'Plan')
    await user.click(screen.getByRole('button', { name: 'Save draft' }))
    await waitFor(() => expect(router.state.location.search).toBe('?draft=d1'))
    expect(posts(seen, '/api/v1/emails/draft')[0]?.body).toMatchObject({ subject: 'Plan', to: [] })

    // The form stays as typed (no reload of the draft) and the next save updates it.
    const subject = screen.getByRole('textbox', { name: 'Subject' })
    expect(subject).toHaveValue('Plan')
    await user.type(subject, ' B')
    await user.click(screen.getByRole('button', { name: 'Save draft' }))
    await waitFor(() => expect(posts(seen, '/api/v1/emails/draft/d1', 'PUT')).toHaveLength(1))
    expect(posts(seen, '/api/v1/emails/draft/d1', 'PUT')[0]?.body).toMatchObject({ subject: 'Plan B' })
    expect(posts(seen, '/api/v1/emails/draft')).toHaveLength(1)
    expect(seen.some((r) => r.method === 'GET' && r.path.startsWith('/api/v1/emails/draft/'))).toBe(false)
  })

  it('autosaves once typing pauses (POST, then PUT of the same draft), names it in the URL, and says so', async () => {
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'POST /api/v1/emails/draft': () => envelope({ id: 'd9', message: message({ id: 'dm9' }) }, {}, 201),
      'PUT /api/v1/emails/draft/d9': () => envelope({ id: 'd9', message: message({ id: 'dm9' }) }),
    })
    autosave.delayMs = 1500
    const user = userEvent.setup()
    const { router } = renderCompose()
    await user.type(screen.getByRole('combobox', { name: 'To' }), 'bob@example.org, not-an-address,')
    await user.type(screen.getByRole('textbox', { name: 'Subject' }), 'Quarterly plan')
    await typeBody(user, 'First lines')
    // No button pressed: the draft is created once typing pauses.
    await waitFor(() => expect(router.state.location.search).toBe('?draft=d9'), { timeout: 15_000 })
    const created = posts(seen, '/api/v1/emails/draft')
    expect(created).toHaveLength(1)
    // The address that is not valid is left out of the saved copy rather than blocking it.
    expect(created[0]?.body).toMatchObject({ subject: 'Quarterly plan', to: ['bob@example.org'] })
    expect((created[0]?.body as { text_body: string }).text_body).toContain('First lines')
    expect(await screen.findByText('Draft saved', {}, { timeout: 15_000 })).toBeInTheDocument()

    await typeBody(user, ' and more')
    await waitFor(() => expect(posts(seen, '/api/v1/emails/draft/d9', 'PUT').length).toBeGreaterThan(0), { timeout: 15_000 })
    const updated = posts(seen, '/api/v1/emails/draft/d9', 'PUT').at(-1)
    expect((updated?.body as { text_body: string }).text_body).toContain('First lines and more')
    expect(posts(seen, '/api/v1/emails/draft')).toHaveLength(1)
  }, 60_000)

  it('keeps the draft when leaving with unsaved changes, and says where it is', async () => {
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'POST /api/v1/emails/draft': () => envelope({ id: 'd10', message: message({ id: 'dm10' }) }, {}, 201),
    })
    const user = userEvent.setup()
    const { router } = renderCompose()
    await user.type(screen.getByRole('textbox', { name: 'Subject' }), 'Left behind')
    // Leave at once (before any autosave could run), as a click on Inbox does.
    await act(() => router.navigate('/mail/INBOX'))
    expect(await screen.findByText('Your message is in Drafts.', {}, { timeout: 15_000 })).toBeInTheDocument()
    await waitFor(() => expect(posts(seen, '/api/v1/emails/draft')).toHaveLength(1))
    expect(posts(seen, '/api/v1/emails/draft')[0]?.body).toMatchObject({ subject: 'Left behind' })
  }, 60_000)

  it('leaves nothing behind after sending', async () => {
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'POST /api/v1/emails/send': () => envelope(message({ id: 'sent-2' })),
    })
    const user = userEvent.setup()
    const { router } = renderCompose()
    await user.type(screen.getByRole('combobox', { name: 'To' }), 'bob@example.org')
    await user.type(screen.getByRole('textbox', { name: 'Subject' }), 'Gone')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/mail/INBOX'), { timeout: 15_000 })
    await screen.findByText('Message sent', {}, { timeout: 15_000 })
    expect(posts(seen, '/api/v1/emails/draft')).toHaveLength(0)
  }, 60_000)

  it('holds a send for the undo window on the server, counts down, and Undo cancels it and reopens it as a draft', async () => {
    signIn({ access_token: 't', expires_in: 3600, user: testUser({ undo_send_seconds: 10 }) })
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      // The server picks the time from the user's own window.
      'POST /api/v1/emails/schedule': () =>
        envelope({ id: 's1', status: 'pending', send_at: new Date(Date.now() + 10_000).toISOString(), timezone: 'UTC' }, {}, 201),
      'DELETE /api/v1/emails/scheduled/s1': () => envelope({ id: 's1', status: 'cancelled' }),
      'POST /api/v1/emails/draft': () => envelope({ id: 'd5', message: message({ id: 'dm5' }) }, {}, 201),
    })
    const user = userEvent.setup()
    const { router } = renderCompose()
    await user.type(screen.getByRole('combobox', { name: 'To' }), 'bob@example.org')
    await user.type(screen.getByRole('textbox', { name: 'Subject' }), 'Oops')
    await typeBody(user, 'Not yet')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/mail/INBOX'), { timeout: 15_000 })
    // Nothing went to /emails/send: the server holds it for the user's window (no time chosen by this browser).
    expect(posts(seen, '/api/v1/emails/send')).toHaveLength(0)
    const held = posts(seen, '/api/v1/emails/schedule')[0]?.body as Record<string, unknown>
    expect(held).toMatchObject({ subject: 'Oops', to: ['bob@example.org'], undo_hold: true })
    expect(held).not.toHaveProperty('send_at')
    expect(await screen.findByText(/Sends in \d+ s/, {}, { timeout: 15_000 })).toBeInTheDocument()

    await user.click(screen.getByRole('button', { name: 'Undo' }))
    await waitFor(() => expect(seen.some((r) => r.method === 'DELETE' && r.path === '/api/v1/emails/scheduled/s1')).toBe(true), { timeout: 15_000 })
    await waitFor(() => expect(router.state.location.search).toBe('?draft=d5'), { timeout: 15_000 })
    expect(posts(seen, '/api/v1/emails/draft')[0]?.body).toMatchObject({ subject: 'Oops', to: ['bob@example.org'] })
  }, 60_000)

  it('says "Message sent" only once the server has sent the held message, not when the countdown ends', async () => {
    signIn({ access_token: 't', expires_in: 3600, user: testUser({ undo_send_seconds: 1 }) })
    let status = 'scheduled'
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'POST /api/v1/emails/schedule': () =>
        envelope({ id: 's2', status: 'scheduled', send_at: new Date(Date.now() + 1_000).toISOString(), timezone: 'UTC' }, {}, 201),
      'GET /api/v1/emails/scheduled/s2': () => envelope({ id: 's2', status, error: null }),
    })
    const user = userEvent.setup()
    renderCompose()
    await user.type(screen.getByRole('combobox', { name: 'To' }), 'bob@example.org')
    await user.type(screen.getByRole('textbox', { name: 'Subject' }), 'Late worker')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    // The window is over and the server has been asked (twice): the message is still waiting for its worker.
    await waitFor(() => expect(seen.filter((r) => r.method === 'GET' && r.path === '/api/v1/emails/scheduled/s2').length).toBeGreaterThanOrEqual(2), {
      timeout: 20_000,
    })
    expect(screen.getByText('Sending…')).toBeInTheDocument()
    expect(screen.queryByText('Message sent')).not.toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Undo' })).not.toBeInTheDocument()
    status = 'sent'
    expect(await screen.findByText('Message sent', {}, { timeout: 15_000 })).toBeInTheDocument()
  }, 60_000)

  it('opens a saved draft with its recipients, text and attachments, and keeps the attachments on save', async () => {
    const uploads = mockUploads(({ file }) => uploaded(file, 'clean', 'up-plan'))
    const attachment = { id: 'a1', filename: 'plan.txt', mime_type: 'text/plain', size: 4, content_id: null, inline: false, download_url: '/api/v1/emails/dm7/attachments/a1' }
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'GET /api/v1/emails/draft/d7': () =>
        envelope({
          id: 'd7',
          message: message({ id: 'dm7', to: [{ name: 'Bob', address: 'bob@example.org' }], subject: 'Saved', text_body: 'Draft text', attachments: [attachment] }),
        }),
      'GET /api/v1/emails/dm7/attachments/a1': ({ search }) =>
        search.get('account') === 'acc-1' ? new Response('plan', { headers: { 'Content-Type': 'text/plain' } }) : new Response('wrong mailbox', { status: 404 }),
      'PUT /api/v1/emails/draft/d7': () => envelope({ id: 'd7', message: message({ id: 'dm7' }) }),
    })
    const user = userEvent.setup()
    renderCompose('/compose?draft=d7')
    expect(screen.getByRole('heading', { level: 1, name: 'Edit draft' })).toBeInTheDocument()
    expect(await screen.findByRole('textbox', { name: 'Subject' })).toHaveValue('Saved')
    expect(screen.getByRole('list', { name: 'To recipients' })).toHaveTextContent('Bob')
    expect(screen.getByRole('list', { name: 'Attachments' })).toHaveTextContent('plan.txt (4 B)')
    // The saved file was fetched (scanned on the way) and uploaded again, so the form holds it by id.
    expect(uploads).toHaveLength(1)
    expect(await uploads[0]?.file?.text()).toBe('plan')
    await waitFor(() => expect(screen.getByRole('textbox', { name: 'Message body' })).toHaveTextContent('Draft text'))

    await user.click(screen.getByRole('button', { name: 'Save draft' }))
    await waitFor(() => expect(posts(seen, '/api/v1/emails/draft/d7', 'PUT')).toHaveLength(1))
    expect(posts(seen, '/api/v1/emails/draft/d7', 'PUT')[0]?.body).toMatchObject({
      to: ['Bob <bob@example.org>'],
      attachment_ids: ['up-plan'],
    })
  })

  it('replies all: recipients shown and editable (never me), sent as a draft in the thread when there is no undo window', async () => {
    const original = message({ cc: [{ name: 'Carol', address: 'carol@example.com' }, { name: 'Me again', address: 'ME@example.com' }] })
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'GET /api/v1/mail/accounts': () => envelope([{ id: 'acc-1', address: 'me@example.com', provider: 'demo', status: 'active', scopes: [], created_at: '2026-11-01T00:00:00Z', last_error: null }]),
      'GET /api/v1/emails/m1': () => envelope(original),
      'POST /api/v1/emails/draft': () => envelope({ id: 'd1', message: message({ id: 'd1' }) }),
      'POST /api/v1/emails/draft/d1/send': () => envelope(message({ id: 'r1' })),
    })
    const user = userEvent.setup()
    const { router } = renderCompose('/compose?reply=m1&all=1')
    expect(screen.getByRole('heading', { level: 1, name: 'Reply all' })).toBeInTheDocument()
    expect(await screen.findByRole('textbox', { name: 'Subject' })).toHaveValue('Re: Lunch plans')
    expect(screen.getByText('Shall we meet at noon?')).toBeInTheDocument()
    // To: the sender; Cc: everyone else on the message but me (in any casing).
    expect(screen.getByRole('button', { name: 'Remove alice@example.com' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Remove carol@example.com' })).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: /Remove me@example.com/i })).toBeNull()
    await user.click(screen.getByRole('button', { name: 'Remove carol@example.com' }))

    await typeBody(user, 'Yes!')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/mail/INBOX/m1'))
    const drafts = posts(seen, '/api/v1/emails/draft')
    expect(drafts).toHaveLength(1)
    const body = drafts[0]?.body as { to: string[]; cc: string[]; text_body: string; html_body: string; reply_to_message_id: string }
    expect(body.reply_to_message_id).toBe('m1')
    expect(body.to).toEqual(['Alice <alice@example.com>'])
    expect(body.cc).toEqual([])
    expect(body.text_body).toMatch(/^Yes!\n\nOn .*Alice <alice@example.com> wrote:\n> Shall we meet at noon\?\n$/)
    expect(body.html_body).toMatch(/^<p>Yes!<\/p>.*<blockquote>Shall we meet at noon\?<\/blockquote>$/)
    expect(posts(seen, '/api/v1/emails/draft/d1/send')).toHaveLength(1)
    expect(posts(seen, '/api/v1/emails/send')).toHaveLength(0)
  })

  it('a reply waits out the undo window in its thread: held with reply_to_message_id, Undo reopens it as a draft', async () => {
    signIn({ access_token: 't', expires_in: 3600, user: testUser({ undo_send_seconds: 10 }) })
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'GET /api/v1/mail/accounts': () => envelope([{ id: 'acc-1', address: 'me@example.com', provider: 'demo', status: 'active', scopes: [], created_at: '2026-11-01T00:00:00Z', last_error: null }]),
      'GET /api/v1/emails/m1': () => envelope(message()),
      // The server holds it for the user's own window and says until when.
      'POST /api/v1/emails/schedule': () => envelope({ id: 's9', status: 'scheduled', send_at: new Date(Date.now() + 10_000).toISOString(), timezone: 'UTC' }),
      'DELETE /api/v1/emails/scheduled/s9': () => envelope({ id: 's9', status: 'cancelled' }),
      'POST /api/v1/emails/draft': () => envelope({ id: 'd9', message: message({ id: 'd9' }) }),
    })
    const user = userEvent.setup()
    const { router } = renderCompose('/compose?reply=m1')
    await screen.findByRole('button', { name: 'Remove alice@example.com' })
    await typeBody(user, 'Noon works')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    await waitFor(() => expect(posts(seen, '/api/v1/emails/schedule')).toHaveLength(1))
    const held = posts(seen, '/api/v1/emails/schedule')[0]?.body as Record<string, unknown>
    expect(held).toMatchObject({ reply_to_message_id: 'm1', to: ['Alice <alice@example.com>'], subject: 'Re: Lunch plans', undo_hold: true })
    expect(held.send_at).toBeUndefined()
    expect(held.forward_message_id).toBeUndefined()
    expect(String(held.text_body)).toMatch(/^Noon works\n\nOn .* wrote:\n> Shall we meet at noon\?/)
    await waitFor(() => expect(router.state.location.pathname).toBe('/mail/INBOX/m1'))
    expect(posts(seen, '/api/v1/emails/m1/reply')).toHaveLength(0) // nothing left before the window
    await user.click(await screen.findByRole('button', { name: 'Undo' }))
    await waitFor(() => expect(seen.some((r) => r.method === 'DELETE' && r.path === '/api/v1/emails/scheduled/s9')).toBe(true))
    await waitFor(() => expect(posts(seen, '/api/v1/emails/draft')).toHaveLength(1))
    expect(posts(seen, '/api/v1/emails/draft')[0]?.body).toMatchObject({ reply_to_message_id: 'm1', text_body: 'Noon works' })
    await waitFor(() => expect(router.state.location.search).toBe('?draft=d9'))
  })

  it('forwards to the chosen recipients with "Fwd:" shown', async () => {
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'GET /api/v1/emails/m1': () => envelope(message()),
      'POST /api/v1/emails/m1/forward': () => envelope(message({ id: 'f1' })),
    })
    const user = userEvent.setup()
    renderCompose('/compose?forward=m1')
    expect(await screen.findByRole('textbox', { name: 'Subject' })).toHaveValue('Fwd: Lunch plans')
    await user.type(screen.getByRole('combobox', { name: 'To' }), 'dan@example.org')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    await waitFor(() => expect(posts(seen, '/api/v1/emails/m1/forward')).toHaveLength(1))
    expect(posts(seen, '/api/v1/emails/m1/forward')[0]?.body).toEqual({ to: ['dan@example.org'], cc: [], text_body: '', include_attachments: true, attachment_ids: [] })
  })

  it('schedules with the wall time and zone, and shows a 422 next to the date field', async () => {
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'POST /api/v1/emails/schedule': () =>
        apiError(422, 'validation_failed', 'send_at 2020-01-01 08:00:00 UTC is in the past: choose a later time, or send now instead.', [
          { field: 'send_at', issue: 'in_the_past' },
        ]),
    })
    const user = userEvent.setup()
    renderCompose()
    await user.type(screen.getByRole('combobox', { name: 'To' }), 'bob@example.org')
    await user.click(screen.getByRole('button', { name: 'Schedule send' }))
    const dialog = screen.getByRole('dialog', { name: 'Schedule send' })
    const zone = within(dialog).getByRole('combobox', { name: 'Time zone' })
    expect(zone).toHaveValue(Intl.DateTimeFormat().resolvedOptions().timeZone)

    await user.type(within(dialog).getByRole('searchbox', { name: 'Filter time zones' }), 'Berlin')
    await user.selectOptions(zone, 'Europe/Berlin')
    fireEvent.change(within(dialog).getByLabelText('Date and time'), { target: { value: '2020-01-01T09:00' } })
    await user.click(within(dialog).getByRole('button', { name: 'Schedule' }))

    const when = within(dialog).getByLabelText('Date and time')
    await waitFor(() => expect(when).toHaveAccessibleDescription(/is in the past/))
    expect(when).toHaveAttribute('aria-invalid', 'true')
    const requests = posts(seen, '/api/v1/emails/schedule')
    expect(requests).toHaveLength(1)
    expect(requests[0]?.body).toMatchObject({ to: ['bob@example.org'], send_at: '2020-01-01T09:00:00', timezone: 'Europe/Berlin' })
  })

  it('schedules and reports the DST adjustment', async () => {
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'POST /api/v1/emails/schedule': () =>
        envelope(
          {
            id: 's1',
            status: 'scheduled',
            send_at: '2027-03-28T01:30:00Z',
            timezone: 'Europe/Berlin',
            local_send_at: '2027-03-28T03:30:00+02:00',
            adjustment: '02:30 does not exist on 2027-03-28 in Europe/Berlin; moved to 03:30.',
          },
          {},
          201,
        ),
    })
    const user = userEvent.setup()
    const { router } = renderCompose()
    await user.type(screen.getByRole('combobox', { name: 'To' }), 'bob@example.org')
    await user.click(screen.getByRole('button', { name: 'Schedule send' }))
    const dialog = screen.getByRole('dialog', { name: 'Schedule send' })
    await user.click(within(dialog).getByRole('button', { name: 'Tomorrow 8:00' }))
    expect((within(dialog).getByLabelText('Date and time') as HTMLInputElement).value).toMatch(/^\d{4}-\d{2}-\d{2}T08:00$/)
    await user.click(within(dialog).getByRole('button', { name: 'Schedule' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/scheduled'))
    expect(await screen.findByText('Message scheduled')).toBeInTheDocument()
    expect(screen.getByText(/moved to 03:30/)).toBeInTheDocument()
    expect(posts(seen, '/api/v1/emails/schedule')[0]?.body).toMatchObject({ send_at: expect.stringMatching(/T08:00:00$/) })
  })

  it('refuses attachments over the size limit with a clear message', async () => {
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'DELETE /api/v1/attachments/up-notes': () => envelope({ id: 'up-notes' }),
    })
    mockUploads(({ file }) => uploaded(file, 'clean', 'up-notes'))
    const user = userEvent.setup()
    renderCompose()
    const small = new File(['hello'], 'notes.txt', { type: 'text/plain' })
    await user.upload(screen.getByLabelText('Attach files'), small)
    const list = await screen.findByRole('list', { name: 'Attachments' })
    expect(list).toHaveTextContent('notes.txt (5 B)')

    const huge = new File(['x'], 'video.mp4', { type: 'video/mp4' })
    Object.defineProperty(huge, 'size', { value: 30 * 1024 * 1024 })
    await user.upload(screen.getByLabelText('Attach files'), huge)
    expect(await screen.findByRole('alert')).toHaveTextContent(/at most 25.0 MB/)
    expect(list).not.toHaveTextContent('video.mp4')

    await user.click(await screen.findByRole('button', { name: 'Remove attachment notes.txt' }))
    expect(screen.queryByRole('list', { name: 'Attachments' })).not.toBeInTheDocument()
    await waitFor(() => expect(seen.some((r) => r.method === 'DELETE' && r.path === '/api/v1/attachments/up-notes')).toBe(true))
  })

  it('attaches dropped files with progress and the scan verdict, and sends them by id', async () => {
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'POST /api/v1/emails/send': () => envelope(message({ id: 's1' })),
    })
    let release: () => void = () => {}
    const gate = new Promise<void>((done) => (release = done))
    const uploads = mockUploads(async ({ file }) => {
      await gate
      return uploaded(file, 'clean', 'up-report')
    })
    const user = userEvent.setup()
    const { router } = renderCompose()
    await user.type(screen.getByRole('combobox', { name: 'To' }), 'bob@example.org')
    const report = new File(['%PDF-1.4 report!'], 'report.pdf', { type: 'application/pdf' })
    fireEvent.drop(screen.getByTestId('compose-dropzone'), { dataTransfer: { files: [report], types: ['Files'] } })

    const chip = await screen.findByRole('listitem', { name: 'Attachment report.pdf' })
    expect(within(chip).getByRole('progressbar', { name: 'Uploading report.pdf' })).toBeInTheDocument()
    await waitFor(() => expect(within(chip).getByText('50%')).toBeInTheDocument())
    // Sending waits for the upload.
    await user.click(screen.getByRole('button', { name: 'Send' }))
    expect(await screen.findByText('Wait until the attachments have finished uploading.')).toBeInTheDocument()
    expect(posts(seen, '/api/v1/emails/send')).toHaveLength(0)

    release()
    expect(await within(chip).findByText('Scanned, no threat found')).toBeInTheDocument()
    expect(screen.getByTestId('attachment-budget')).toHaveTextContent('16 B of 25.0 MB')
    expect(uploads[0]?.file?.name).toBe('report.pdf')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/mail/INBOX'))
    expect(posts(seen, '/api/v1/emails/send')[0]?.body).toMatchObject({ to: ['bob@example.org'], attachment_ids: ['up-report'] })
  })

  it('pastes files, cancels an upload in flight, and shows why a file was refused', async () => {
    mockApi({ 'GET /api/v1/contacts/suggestions': () => envelope([]) })
    const uploads = mockUploads(({ file }) =>
      file?.name === 'eicar.com'
        ? { status: 422, body: { data: null, error: { code: 'malware_detected', message: "'eicar.com' was refused on upload: the malware scanner found a threat in it (Eicar-Signature).", details: [] }, meta: {} } }
        : new Promise(() => {}),
    )
    renderCompose()
    const zone = screen.getByTestId('compose-dropzone')
    fireEvent.paste(zone, { clipboardData: { files: [new File(['a'.repeat(2048)], 'slow.bin')] } })
    const slow = await screen.findByRole('listitem', { name: 'Attachment slow.bin' })
    fireEvent.click(within(slow).getByRole('button', { name: 'Cancel upload of slow.bin' }))
    expect(screen.queryByRole('listitem', { name: 'Attachment slow.bin' })).not.toBeInTheDocument()
    expect(uploads[0]?.xhr.aborted).toBe(true)

    fireEvent.paste(zone, { clipboardData: { files: [new File(['X5O!P'], 'eicar.com')] } })
    const refused = await screen.findByRole('listitem', { name: 'Attachment eicar.com' })
    expect(await within(refused).findByRole('alert')).toHaveTextContent("'eicar.com' was refused on upload")
    expect(screen.getByTestId('attachment-budget')).toHaveTextContent('0 B of 25.0 MB')
  })

  it('says when the server has no malware scanner', async () => {
    mockApi({ 'GET /api/v1/contacts/suggestions': () => envelope([]) })
    mockUploads(({ file }) => uploaded(file, 'not_scanned'))
    const user = userEvent.setup()
    renderCompose()
    await user.upload(screen.getByLabelText('Attach files'), new File(['x'], 'x.txt'))
    expect(await screen.findByText('Not scanned (no malware scanner on this server)')).toBeInTheDocument()
  })

  it('asks before discarding and deletes the saved draft', async () => {
    const seen = mockApi({
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'POST /api/v1/emails/draft': () => envelope({ id: 'd2', message: message({ id: 'dm2' }) }, {}, 201),
      'DELETE /api/v1/emails/draft/d2': () => envelope({ id: 'd2' }),
    })
    const user = userEvent.setup()
    const { router } = renderCompose()
    await user.type(screen.getByRole('textbox', { name: 'Subject' }), 'Nope')
    await user.click(screen.getByRole('button', { name: 'Save draft' }))
    await waitFor(() => expect(router.state.location.search).toBe('?draft=d2'))
    await user.click(screen.getByRole('button', { name: 'Discard' }))
    const dialog = screen.getByRole('dialog', { name: 'Discard this message?' })
    await user.click(within(dialog).getByRole('button', { name: 'Discard message' }))
    await waitFor(() => expect(router.state.location.pathname).toBe('/mail/INBOX'))
    expect(seen.filter((r) => r.method === 'DELETE' && r.path === '/api/v1/emails/draft/d2')).toHaveLength(1)
  })
})
