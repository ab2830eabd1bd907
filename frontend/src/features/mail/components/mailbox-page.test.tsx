// The mailbox list: rows from the API, keyboard navigation and bulk actions, search in the URL, paging and states.
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, envelope, mockApi, type SeenRequest } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { testUser } from '@/test/fixtures'
import { signIn, signOutLocally } from '@/lib/auth-session'
import type { MessageSummary } from '../api/search-emails'
import { MailboxPage, ROW_HEIGHT } from './mailbox-page'
import { ACCOUNT, fakeViewportHeight, LABELS, summary } from './mail-test-fixtures'

let restoreHeight: () => void
beforeEach(() => {
  restoreHeight = fakeViewportHeight(ROW_HEIGHT * 10)
})
afterEach(() => {
  restoreHeight()
  vi.unstubAllGlobals()
})

const THREE = [
  summary(1, { unread: true, has_attachments: true, label_ids: ['INBOX', 'UNREAD', 'Label_2'] }),
  summary(2),
  summary(3, { from: { name: '', address: 'noname@example.com' } }),
]

/** A tiny server: listing filters by label, batch-modify really changes the labels, so refetches agree. */
function fakeMailbox(messages: MessageSummary[]) {
  let store = messages.map((m) => ({ ...m }))
  return {
    // Like Gmail, trashed mail only shows in Trash.
    list: (r: SeenRequest) => {
      const labels = r.search.getAll('label')
      const listed = (m: MessageSummary) => labels.every((l) => m.label_ids.includes(l)) && (labels.includes('TRASH') || !m.label_ids.includes('TRASH'))
      return envelope(store.filter(listed))
    },
    modify: (r: SeenRequest) => {
      const { ids, add = [], remove = [] } = r.body as { ids: string[]; add?: string[]; remove?: string[] }
      store = store.map((m) =>
        ids.includes(m.id) ? { ...m, label_ids: [...m.label_ids.filter((l) => !remove.includes(l)), ...add] } : m,
      )
      return envelope({ ids })
    },
  }
}

function renderMailbox(url = '/mail/INBOX', emails?: (r: SeenRequest) => Response) {
  const server = fakeMailbox(THREE)
  const seen = mockApi({
    'GET /api/v1/mail/accounts': () => envelope([ACCOUNT]),
    'GET /api/v1/labels': () => envelope(LABELS),
    'GET /api/v1/emails': emails ?? server.list,
    'POST /api/v1/emails/batch-modify': server.modify,
  })
  const app = renderWithApp(<MailboxPage />, {
    url,
    path: '/mail/:labelId',
    extraRoutes: [
      { path: '/mail/:labelId/:messageId', element: <p>thread view</p> },
      { path: '/compose', element: <p>compose view</p> },
    ],
  })
  return { seen, ...app }
}

const rowLinks = () => within(screen.getByRole('list', { name: 'Inbox messages' })).getAllByRole('link')

describe('MailboxPage', () => {
  it('renders only the rows in view for a mailbox of thousands (virtualized)', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => summary(i + 1))
    renderMailbox('/mail/INBOX', () => envelope(many))
    await screen.findByText('Subject 1')
    const rendered = rowLinks().length
    // The viewport holds 10 rows; the virtualizer adds a small overscan, never thousands of DOM rows.
    expect(rendered).toBeGreaterThanOrEqual(10)
    expect(rendered).toBeLessThan(40)
  })

  it('renders the label heading and one row per message with sender, subject, markers and label chips', async () => {
    const { seen } = renderMailbox()
    expect(screen.getByRole('heading', { level: 1, name: 'Inbox' })).toBeInTheDocument()
    await screen.findByText('Subject 1')
    expect(rowLinks()).toHaveLength(3)
    const first = screen.getByRole('link', { name: /Subject 1/ })
    expect(first).toHaveTextContent('Sender 1')
    expect(first).toHaveTextContent('unread')
    expect(first).toHaveTextContent('has attachment')
    expect(within(first).getByText('Work')).toBeInTheDocument()
    expect(rowLinks()[2]).toHaveTextContent('noname@example.com')
    expect(screen.getByRole('checkbox', { name: 'Select message from Sender 2: Subject 2' })).not.toBeChecked()
    const request = seen.find((r) => r.path === '/api/v1/emails')
    expect(request?.search.getAll('label')).toEqual(['INBOX'])
    expect(request?.search.get('limit')).toBe('50')
  })

  it('moves with j/k, selects with x and trashes the selection with #', async () => {
    const { seen } = renderMailbox()
    await screen.findByText('Subject 1')
    const user = userEvent.setup()
    await user.keyboard('j')
    await waitFor(() => expect(rowLinks()[1]).toHaveFocus())
    expect(rowLinks()[1]).toHaveAttribute('aria-current', 'true')
    await user.keyboard('x')
    expect(screen.getByRole('checkbox', { name: 'Select message from Sender 2: Subject 2' })).toBeChecked()
    await user.keyboard('jx')
    expect(screen.getByRole('checkbox', { name: 'Select message from noname@example.com: Subject 3' })).toBeChecked()
    await user.keyboard('k')
    await waitFor(() => expect(rowLinks()[1]).toHaveFocus())
    await user.keyboard('#')
    await waitFor(() => expect(seen.some((r) => r.method === 'POST')).toBe(true))
    expect(seen.find((r) => r.method === 'POST')?.body).toEqual({ ids: ['m2', 'm3'], add: ['TRASH'], remove: [] })
    // Optimistic: the trashed rows leave the Inbox list at once.
    await waitFor(() => expect(screen.queryByText('Subject 2')).not.toBeInTheDocument())
    expect(await screen.findByText('2 messages moved to Trash')).toBeInTheDocument()
  })

  it('archives the focused row with e when nothing is selected, and opens with o keeping ?q', async () => {
    const { seen, router } = renderMailbox('/mail/INBOX?q=from%3Abob')
    await screen.findByText('Subject 1')
    const user = userEvent.setup()
    await user.keyboard('e')
    await waitFor(() => expect(seen.find((r) => r.method === 'POST')?.body).toEqual({ ids: ['m1'], add: [], remove: ['INBOX'] }))
    await user.keyboard('o')
    await screen.findByText('thread view')
    expect(router.state.location.pathname).toBe('/mail/INBOX/m2')
    expect(router.state.location.search).toBe('?q=from%3Abob&account=a1')
  })

  it('ignores shortcuts while typing in the search box and focuses it with /', async () => {
    const { seen, router } = renderMailbox()
    await screen.findByText('Subject 1')
    const user = userEvent.setup()
    await user.keyboard('/')
    const search = screen.getByRole('searchbox', { name: 'Search mail' })
    expect(search).toHaveFocus()
    await user.keyboard('jx#e')
    expect(search).toHaveValue('jx#e')
    expect(seen.some((r) => r.method === 'POST')).toBe(false)
    await user.keyboard('{Enter}')
    await waitFor(() => expect(router.state.location.search).toBe('?q=jx%23e'))
  })

  it('replies to the focused message with r', async () => {
    const { router } = renderMailbox()
    await screen.findByText('Subject 1')
    await userEvent.keyboard('r')
    await screen.findByText('compose view')
    expect(router.state.location.search).toBe('?reply=m1&account=a1')
  })

  it('runs bulk actions from the toolbar on the checked messages', async () => {
    const { seen } = renderMailbox()
    await screen.findByText('Subject 1')
    const user = userEvent.setup()
    await user.click(screen.getByRole('checkbox', { name: 'Select all loaded messages' }))
    expect(screen.getByText('3 selected')).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Mark read' }))
    await waitFor(() => expect(seen.filter((r) => r.method === 'POST')).toHaveLength(1))
    expect(seen.find((r) => r.method === 'POST')?.body).toEqual({ ids: ['m1', 'm2', 'm3'], add: [], remove: ['UNREAD'] })
    await user.click(screen.getByRole('checkbox', { name: 'Select message from Sender 1: Subject 1' }))
    await user.selectOptions(screen.getByRole('combobox', { name: 'Add label to selected' }), 'Receipts')
    await waitFor(() => expect(seen.filter((r) => r.method === 'POST')).toHaveLength(2))
    expect(seen.filter((r) => r.method === 'POST')[1]?.body).toEqual({ ids: ['m1'], add: ['Label_1'], remove: [] })
  })

  it('removes trashed rows at once, then restores them and shows the error when the server refuses', async () => {
    let answer: (response: Response) => void = () => undefined
    const seen = mockApi({
      'GET /api/v1/mail/accounts': () => envelope([ACCOUNT]),
      'GET /api/v1/labels': () => envelope(LABELS),
      'GET /api/v1/emails': () => envelope(THREE),
      'POST /api/v1/emails/batch-modify': () => new Promise<Response>((resolve) => (answer = resolve)),
    })
    renderWithApp(<MailboxPage />, { url: '/mail/INBOX', path: '/mail/:labelId' })
    await screen.findByText('Subject 1')
    await userEvent.keyboard('#')
    await waitFor(() => expect(screen.queryByText('Subject 1')).not.toBeInTheDocument())
    expect(seen.find((r) => r.method === 'POST')?.body).toEqual({ ids: ['m1'], add: ['TRASH'], remove: [] })
    act(() => answer(apiError(502, 'provider_unavailable', 'Gmail did not answer. Try again.')))
    expect(await screen.findByText('Gmail did not answer. Try again.')).toBeInTheDocument()
    expect(await screen.findByText('Subject 1')).toBeInTheDocument()
  })

  it('writes the filters into the query text and searches with it in the URL', async () => {
    const { seen, router } = renderMailbox('/mail/INBOX?q=report%20is%3Aunread')
    await screen.findByText('Subject 1')
    expect(seen.find((r) => r.path === '/api/v1/emails')?.search.get('q')).toBe('report is:unread')
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'Filters' }))
    expect(screen.getByRole('checkbox', { name: 'Unread only' })).toBeChecked()
    await user.type(screen.getByLabelText('From'), 'Ann Lee')
    await user.click(screen.getByRole('checkbox', { name: 'Has attachment' }))
    await user.click(screen.getByRole('checkbox', { name: 'Unread only' }))
    fireEvent.change(screen.getByLabelText('After'), { target: { value: '2024-01-05' } })
    await user.selectOptions(screen.getByRole('combobox', { name: 'Label' }), 'Work')
    const search = screen.getByRole('searchbox', { name: 'Search mail' })
    expect(search).toHaveValue('report from:"Ann Lee" after:2024/01/05 label:Work has:attachment')
    await user.click(screen.getByRole('button', { name: 'Search' }))
    await waitFor(() => expect(router.state.location.search).toBe('?q=report+from%3A%22Ann+Lee%22+after%3A2024%2F01%2F05+label%3AWork+has%3Aattachment'))
    await waitFor(() =>
      expect(seen.filter((r) => r.path === '/api/v1/emails').at(-1)?.search.get('q')).toBe(
        'report from:"Ann Lee" after:2024/01/05 label:Work has:attachment',
      ),
    )
  })

  it('loads the next page with the page token when scrolled near the end', async () => {
    const page1 = Array.from({ length: 50 }, (_, i) => summary(i + 1))
    const page2 = Array.from({ length: 50 }, (_, i) => summary(i + 51))
    const { seen } = renderMailbox('/mail/INBOX', (r) =>
      r.search.get('page_token') === 'p2' ? envelope(page2) : envelope(page1, { next_page_token: 'p2' }),
    )
    await screen.findByText('Subject 1')
    // Only the rows in (and near) the viewport are in the DOM.
    expect(rowLinks().length).toBeLessThan(30)
    expect(seen.filter((r) => r.path === '/api/v1/emails')).toHaveLength(1)
    const scroller = screen.getByTestId('message-scroller')
    act(() => {
      scroller.scrollTop = ROW_HEIGHT * 40
      fireEvent.scroll(scroller)
    })
    await waitFor(() => expect(seen.filter((r) => r.path === '/api/v1/emails')).toHaveLength(2))
    expect(seen.at(-1)?.search.get('page_token')).toBe('p2')
    act(() => {
      scroller.scrollTop = ROW_HEIGHT * 90
      fireEvent.scroll(scroller)
    })
    expect(await screen.findByText('Subject 100')).toBeInTheDocument()
    expect(screen.queryByText('Subject 1')).not.toBeInTheDocument()
  })

  it('says the mailbox is empty, or that nothing matches a search', async () => {
    renderMailbox('/mail/INBOX', () => envelope([]))
    expect(await screen.findByText('Inbox is empty')).toBeInTheDocument()
  })

  it('says nothing matches a search', async () => {
    renderMailbox('/mail/Label_2?q=zzz', () => envelope([]))
    expect(await screen.findByText('No messages match')).toBeInTheDocument()
    expect(await screen.findByRole('heading', { level: 1, name: 'Work' })).toBeInTheDocument()
  })

  it('invites to connect a mailbox instead of asking for mail when none is connected', async () => {
    const seen = mockApi({ 'GET /api/v1/mail/accounts': () => envelope([]) })
    renderWithApp(<MailboxPage />, { url: '/mail/INBOX', path: '/mail/:labelId' })
    expect(await screen.findByText('No mailbox connected')).toBeInTheDocument()
    expect(screen.getByRole('link', { name: 'Connect your Gmail or the demo mailbox' })).toHaveAttribute('href', '/settings/accounts')
    expect(seen.map((r) => r.path)).toEqual(['/api/v1/mail/accounts'])
  })

  it('shows a load error with a retry', async () => {
    renderMailbox('/mail/INBOX', () => apiError(503, 'provider_unavailable', 'Gmail is not answering right now.'))
    expect(await screen.findByRole('alert')).toHaveTextContent('Gmail is not answering right now.')
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument()
  })

  it('conversation view: one row per thread with its count, actions move the whole conversation, the choice is saved', async () => {
    signIn({ access_token: 't', expires_in: 3600, user: testUser({ conversation_view: true }) })
    const thread = { ...summary(7, { subject: 'Offsite', thread_id: 'tx' }), count: 3, message_ids: ['m5', 'm6', 'm7'], participants: [{ name: 'Alice Chen', address: 'a@x.org' }, { name: 'Bob Ray', address: 'b@x.org' }] }
    const single = { ...summary(8, { thread_id: 'ty' }), count: 1, message_ids: ['m8'], participants: [] }
    // A long conversation can come again on the next page: it is shown once.
    const pages = [[thread, single], [{ ...thread, id: 'm5' }]]
    const seen = mockApi({
      'GET /api/v1/mail/accounts': () => envelope([ACCOUNT]),
      'GET /api/v1/labels': () => envelope(LABELS),
      'GET /api/v1/emails/conversations': (r) =>
        r.search.get('page_token') ? envelope(pages[1]) : envelope(pages[0], { next_page_token: 'p2' }),
      'POST /api/v1/emails/batch-modify': (r) => envelope({ ids: (r.body as { ids: string[] }).ids }),
      'PATCH /api/v1/auth/me': (r) => envelope({ ...testUser(), ...(r.body as object) }),
      'GET /api/v1/emails': () => envelope([summary(1)]),
    })
    const user = userEvent.setup()
    renderWithApp(<MailboxPage />, { url: '/mail/INBOX', path: '/mail/:labelId', extraRoutes: [{ path: '/mail/:labelId/:messageId', element: <p>thread view</p> }] })
    await screen.findByText('Offsite')
    await waitFor(() => expect(seen.filter((r) => r.path === '/api/v1/emails/conversations')).toHaveLength(2))
    expect(rowLinks()).toHaveLength(2)
    expect(screen.getByText('Alice, Bob')).toBeInTheDocument()
    expect(screen.getByTestId('conversation-count')).toHaveTextContent('3 messages')
    expect(seen.some((r) => r.path === '/api/v1/emails')).toBe(false)

    await user.click(screen.getByRole('checkbox', { name: /Select message from Alice, Bob: Offsite/ }))
    await user.click(screen.getByRole('button', { name: 'Archive' }))
    await waitFor(() => expect(seen.filter((r) => r.path === '/api/v1/emails/batch-modify')).toHaveLength(1))
    expect(seen.find((r) => r.path === '/api/v1/emails/batch-modify')?.body).toMatchObject({ ids: ['m5', 'm6', 'm7'], remove: ['INBOX'] })

    // Turning it off is stored with the user, and the list goes back to one row per message.
    await user.click(screen.getByRole('checkbox', { name: 'Conversation view' }))
    await waitFor(() => expect(seen.find((r) => r.method === 'PATCH')?.body).toEqual({ conversation_view: false }))
    await screen.findByText('Subject 1')
    expect(screen.getByRole('checkbox', { name: 'Conversation view' })).not.toBeChecked()
    signOutLocally()
  })
})
