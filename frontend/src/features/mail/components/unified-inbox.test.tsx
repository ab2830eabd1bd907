// The unified inbox in the web app: "All inboxes" in the mailbox switcher, one list of every account with an account
// chip on each row, links that name the message's account, and bulk actions sent to each message's own account.
import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { getActiveAccountId, setActiveAccountId } from '@/lib/active-account'
import { MailboxPage, ROW_HEIGHT } from './mailbox-page'
import { MailSidebar } from './mail-sidebar'
import { ACCOUNT, fakeViewportHeight, LABELS, summary } from './mail-test-fixtures'

const GMAIL = { ...ACCOUNT, id: 'g1', provider: 'google', address: 'ann@gmail.com' }
const DEMO = { ...ACCOUNT, id: 'd1', provider: 'demo', address: 'you@demo.mailagent.local' }
const ref = (a: typeof GMAIL) => ({ id: a.id, address: a.address, provider: a.provider })
// the same id in both accounts, as two providers can give
const MERGED = [
  summary(1, { subject: 'From Gmail', account: ref(GMAIL), date: '2026-12-07T10:00:00Z' }),
  summary(1, { subject: 'From the demo', account: ref(DEMO), date: '2026-12-07T09:00:00Z' }),
]

let restoreHeight: () => void
beforeEach(() => {
  restoreHeight = fakeViewportHeight(ROW_HEIGHT * 10)
})
afterEach(() => {
  restoreHeight()
  setActiveAccountId(null)
  vi.unstubAllGlobals()
})

describe('the unified inbox', () => {
  it('offers "All inboxes" in the switcher and sums the unread counts of every account', async () => {
    mockApi({
      'GET /api/v1/mail/accounts': () => envelope([GMAIL, DEMO]),
      'GET /api/v1/labels': (r) =>
        envelope(LABELS.map((l) => (l.id === 'INBOX' ? { ...l, messages_unread: r.search.get('account') === 'g1' ? 2 : 5 } : l))),
    })
    renderWithApp(<MailSidebar />)
    const switcher = await screen.findByRole('combobox', { name: 'Mailbox' })
    expect(within(switcher).getAllByRole('option').map((o) => o.textContent)).toEqual(['All inboxes', GMAIL.address, DEMO.address])
    await userEvent.selectOptions(switcher, 'All inboxes')
    expect(getActiveAccountId()).toBe('all')
    expect(await screen.findByRole('link', { name: 'Inbox, 7 unread' })).toBeInTheDocument()
    expect(screen.getByText(/Labels belong to one mailbox/)).toBeInTheDocument()
  })

  it('lists every account with its chip, links to each message in its account, and archives per account', async () => {
    setActiveAccountId('all')
    const seen = mockApi({
      'GET /api/v1/mail/accounts': () => envelope([GMAIL, DEMO]),
      'GET /api/v1/emails': () => envelope(MERGED),
      'POST /api/v1/emails/batch-modify': (r) => envelope({ ids: (r.body as { ids: string[] }).ids }),
    })
    renderWithApp(<MailboxPage />, { url: '/mail/INBOX', path: '/mail/:labelId' })
    const list = await screen.findByRole('list', { name: 'Inbox — all accounts messages' })
    const rows = within(list).getAllByRole('link')
    expect(rows).toHaveLength(2)
    expect(rows[0]).toHaveTextContent('From Gmail')
    expect(rows[0]).toHaveTextContent('in ann@gmail.com')
    expect(rows[1]).toHaveTextContent('in you@demo.mailagent.local')
    expect(rows[0]).toHaveAttribute('href', '/mail/INBOX/m1?account=g1')
    expect(rows[1]).toHaveAttribute('href', '/mail/INBOX/m1?account=d1')
    const listing = seen.find((r) => r.path === '/api/v1/emails')
    expect(listing?.search.get('account')).toBe('all')
    expect(seen.some((r) => r.path === '/api/v1/labels')).toBe(false) // labels are per account

    // Same id, two accounts: selecting one selects only that one.
    await userEvent.click(screen.getByRole('checkbox', { name: /From Gmail/ }))
    expect(screen.getByRole('checkbox', { name: /From the demo/ })).not.toBeChecked()
    await userEvent.click(screen.getByRole('checkbox', { name: /From the demo/ }))
    await userEvent.click(screen.getByRole('button', { name: 'Archive' }))
    await waitFor(() => expect(seen.filter((r) => r.path === '/api/v1/emails/batch-modify')).toHaveLength(2))
    const modifies = seen.filter((r) => r.path === '/api/v1/emails/batch-modify')
    expect(modifies.map((r) => [r.search.get('account'), r.body])).toEqual(
      expect.arrayContaining([
        ['g1', { ids: ['m1'], add: [], remove: ['INBOX'] }],
        ['d1', { ids: ['m1'], add: [], remove: ['INBOX'] }],
      ]),
    )
    expect(await screen.findByText('2 messages archived')).toBeInTheDocument()
  })
})
