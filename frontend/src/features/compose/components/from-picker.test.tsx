// Sending from the right account: a From picker for a new message when several mailboxes are connected (the draft
// moves with it), and a reply opened from a conversation goes out from the account that received it.
import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { Toaster } from 'sonner'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { envelope, mockApi, type SeenRequest } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { signIn } from '@/lib/auth-session'
import { testUser } from '@/test/fixtures'
import { autosave } from '../lib/autosave'
import { ComposePage } from './compose-page'

const account = (id: string, address: string, provider: string) => ({
  id,
  provider,
  address,
  status: 'active',
  scopes: [],
  created_at: '2026-01-01T00:00:00Z',
  last_error: null,
})
const GMAIL = account('g1', 'ann@gmail.com', 'google')
const DEMO = account('d1', 'you@demo.mailagent.local', 'demo')

function message(id: string, from: typeof GMAIL) {
  return {
    id,
    thread_id: `t-${id}`,
    account: { id: from.id, address: from.address, provider: from.provider },
    from: { name: 'Alice', address: 'alice@example.com' },
    to: [{ name: '', address: from.address }],
    cc: [],
    bcc: [],
    reply_to: [],
    subject: 'Lunch',
    snippet: 'Shall we?',
    date: '2026-12-07T12:00:00Z',
    label_ids: ['INBOX'],
    unread: false,
    starred: false,
    has_attachments: false,
    text_body: 'Shall we?',
    html: null,
    attachments: [],
    message_id_header: `<${id}@example.com>`,
    in_reply_to: null,
  }
}

const posts = (seen: SeenRequest[], path: string, method = 'POST') => seen.filter((r) => r.method === method && r.path === path)

beforeAll(() => {
  Range.prototype.getClientRects ??= () => Object.assign([], { item: () => null }) as unknown as DOMRectList
  Range.prototype.getBoundingClientRect ??= () => new DOMRect()
  document.elementFromPoint ??= () => null
})
beforeEach(() => {
  window.localStorage.setItem('mailagent.activeAccount', 'all') // the unified inbox is what the user looks at
  // Sends go out at once (no undo window): a per-user setting the session's user carries.
  signIn({ access_token: 't', expires_in: 3600, user: testUser({ undo_send_seconds: 0 }) })
  autosave.delayMs = 3_600_000
})
afterEach(() => {
  window.localStorage.clear()
  vi.unstubAllGlobals()
})

describe('From', { timeout: 60_000 }, () => {
  it('is a choice for a new message, and the draft saved so far moves to the chosen account', async () => {
    let drafts = 0
    const seen = mockApi({
      'GET /api/v1/mail/accounts': () => envelope([GMAIL, DEMO]),
      'GET /api/v1/contacts/suggestions': () => envelope([]),
      'POST /api/v1/emails/draft': () => envelope({ id: `draft-${++drafts}`, message: message('dm', GMAIL) }, {}, 201),
      'PUT /api/v1/emails/draft/draft-2': () => envelope({ id: 'draft-2', message: message('dm', DEMO) }),
      'DELETE /api/v1/emails/draft/draft-1': () => envelope({ ids: ['draft-1'] }),
      'POST /api/v1/emails/draft/draft-2/send': () => envelope(message('sent-1', DEMO)),
      'POST /api/v1/emails/send': () => envelope(message('sent-1', DEMO)),
    })
    const user = userEvent.setup()
    render(<Toaster />)
    renderWithApp(<ComposePage />, { url: '/compose', path: '/compose' })
    const from = await screen.findByRole('combobox', { name: 'From' })
    expect(from).toHaveValue('g1') // the first account, as the server's default
    await user.type(screen.getByRole('combobox', { name: 'To' }), 'bob@example.org')
    await user.type(screen.getByRole('textbox', { name: 'Subject' }), 'Hi')
    await user.click(screen.getByRole('button', { name: /Save draft/ }))
    await waitFor(() => expect(posts(seen, '/api/v1/emails/draft')).toHaveLength(1))
    expect(posts(seen, '/api/v1/emails/draft')[0]?.search.get('account')).toBeNull()

    await user.selectOptions(from, DEMO.address)
    await waitFor(() => expect(posts(seen, '/api/v1/emails/draft/draft-1', 'DELETE')).toHaveLength(1))
    expect(posts(seen, '/api/v1/emails/draft/draft-1', 'DELETE')[0]?.search.get('account')).toBeNull()
    await user.click(screen.getByRole('button', { name: 'Send' }))
    // sent from the demo account: at once, or as the draft the form saved there after the change
    const sends = () => seen.filter((r) => r.method === 'POST' && r.path.endsWith('/send'))
    await waitFor(() => expect(sends()).toHaveLength(1))
    expect(sends()[0]?.search.get('account')).toBe('d1')
    expect(posts(seen, '/api/v1/emails/draft').slice(1).every((r) => r.search.get('account') === 'd1')).toBe(true)
  })

  it("is the receiving account's for a reply opened from a conversation", async () => {
    const seen = mockApi({
      'GET /api/v1/mail/accounts': () => envelope([GMAIL, DEMO]),
      'GET /api/v1/emails/m9': (r) => envelope(message('m9', r.search.get('account') === 'd1' ? DEMO : GMAIL)),
      'POST /api/v1/emails/m9/reply': () => envelope(message('sent-2', DEMO)),
      'POST /api/v1/emails/draft': () => envelope({ id: 'reply-draft', message: message('rd', DEMO) }, {}, 201),
      'POST /api/v1/emails/draft/reply-draft/send': () => envelope(message('sent-2', DEMO)),
    })
    const user = userEvent.setup()
    render(<Toaster />)
    renderWithApp(<ComposePage />, { url: '/compose?reply=m9&account=d1', path: '/compose' })
    expect(await screen.findByText(DEMO.address)).toBeInTheDocument()
    expect(screen.queryByRole('combobox', { name: 'From' })).not.toBeInTheDocument()
    expect(seen.find((r) => r.path === '/api/v1/emails/m9')?.search.get('account')).toBe('d1')
    const editor = screen.getByRole('textbox', { name: 'Message body' })
    await user.click(editor)
    await user.keyboard('Yes!')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    // the reply is sent (as a draft in the thread) by the account that received the original
    const sends = () => seen.filter((r) => r.method === 'POST' && r.path.endsWith('/send') || r.path.endsWith('/reply'))
    await waitFor(() => expect(sends()).toHaveLength(1))
    expect(seen.filter((r) => r.method !== 'GET').every((r) => r.search.get('account') === 'd1')).toBe(true)
  })
})
