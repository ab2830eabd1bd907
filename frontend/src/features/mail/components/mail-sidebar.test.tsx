// The sidebar lists labels with unread counts, switches mailboxes, invites to connect one, and creates labels.
import { act, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { setActiveAccountId } from '@/lib/active-account'
import { envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { MailSidebar } from './mail-sidebar'
import { LABELS } from './mail-test-fixtures'

const ACCOUNT = { provider: 'google', status: 'active', scopes: [], created_at: '2024-01-01T00:00:00Z', last_error: null }

afterEach(() => {
  vi.unstubAllGlobals()
  act(() => setActiveAccountId(null))
})

describe('MailSidebar', () => {
  it('shows system labels in order, then user labels, with unread counts and links', async () => {
    mockApi({
      'GET /api/v1/mail/accounts': () => envelope([{ id: 'a1', address: 'me@example.com', ...ACCOUNT }]),
      'GET /api/v1/labels': () => envelope(LABELS),
    })
    renderWithApp(<MailSidebar />)
    const inbox = await screen.findByRole('link', { name: 'Inbox, 3 unread' })
    expect(inbox).toHaveAttribute('href', '/mail/INBOX')
    const mailboxes = within(screen.getByRole('list', { name: 'Mailboxes' })).getAllByRole('link')
    expect(mailboxes.map((l) => l.textContent)).toEqual(['Inbox3', 'Starred', 'Sent', 'Drafts', 'Spam2', 'Trash'])
    // Trash has an unread message but no badge: counts there mean nothing.
    expect(screen.getByRole('link', { name: 'Trash' })).toHaveAttribute('href', '/mail/TRASH')
    // One Drafts entry, leading to the drafts screen where drafts are edited and sent (issue 17, item 3).
    expect(screen.getByRole('link', { name: 'Drafts' })).toHaveAttribute('href', '/drafts')
    const mine = within(screen.getByRole('list', { name: 'Labels' })).getAllByRole('link')
    expect(mine.map((l) => l.getAttribute('aria-label'))).toEqual(['Receipts', 'Work, 4 unread'])
    expect(mine[1]).toHaveAttribute('href', '/mail/Label_2')
    expect(screen.getByText('me@example.com')).toBeInTheDocument()
  })

  it('invites to connect a mailbox when none is connected', async () => {
    const seen = mockApi({ 'GET /api/v1/mail/accounts': () => envelope([]) })
    renderWithApp(<MailSidebar />)
    expect(await screen.findByRole('link', { name: 'Connect a mailbox' })).toHaveAttribute('href', '/settings/accounts')
    // No label request that could only fail.
    expect(seen.map((r) => r.path)).toEqual(['/api/v1/mail/accounts'])
  })

  it('switches between mailboxes and asks for that mailbox labels', async () => {
    const seen = mockApi({
      'GET /api/v1/mail/accounts': () =>
        envelope([
          { id: 'a1', address: 'me@example.com', ...ACCOUNT },
          { id: 'a2', address: 'work@example.com', ...ACCOUNT },
        ]),
      'GET /api/v1/labels': () => envelope(LABELS),
    })
    renderWithApp(<MailSidebar />)
    const select = await screen.findByRole('combobox', { name: 'Mailbox' })
    expect(select).toHaveValue('a1')
    await userEvent.selectOptions(select, 'work@example.com')
    await waitFor(() => expect(seen.some((r) => r.path === '/api/v1/labels' && r.search.get('account') === 'a2')).toBe(true))
    expect(select).toHaveValue('a2')
  })

  it('shows the degraded notice from the labels meta', async () => {
    mockApi({
      'GET /api/v1/mail/accounts': () => envelope([{ id: 'a1', address: 'me@example.com', ...ACCOUNT }]),
      'GET /api/v1/labels': () => envelope(LABELS, { degraded: true, notice: 'Gmail is unreachable; showing saved counts.' }),
    })
    renderWithApp(<MailSidebar />)
    expect(await screen.findByText('Gmail is unreachable; showing saved counts.')).toBeInTheDocument()
  })

  it('creates a label', async () => {
    const seen = mockApi({
      'GET /api/v1/mail/accounts': () => envelope([{ id: 'a1', address: 'me@example.com', ...ACCOUNT }]),
      'GET /api/v1/labels': () => envelope(LABELS),
      'POST /api/v1/labels': () => envelope({ id: 'Label_9', name: 'Travel', type: 'user', messages_total: 0, messages_unread: 0 }, {}, 201),
    })
    renderWithApp(<MailSidebar />)
    await userEvent.click(await screen.findByRole('button', { name: 'New label' }))
    await userEvent.type(screen.getByLabelText('Label name'), 'Travel')
    await userEvent.click(screen.getByRole('button', { name: 'Create label' }))
    await waitFor(() => expect(seen.find((r) => r.method === 'POST')?.body).toEqual({ name: 'Travel' }))
    await waitFor(() => expect(screen.queryByLabelText('Label name')).not.toBeInTheDocument())
    expect(seen.filter((r) => r.method === 'GET' && r.path === '/api/v1/labels').length).toBeGreaterThan(1)
  })
})
