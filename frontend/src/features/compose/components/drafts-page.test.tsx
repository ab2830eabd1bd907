import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { apiError, envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { DraftsPage } from './drafts-page'

function draft(id: string, subject: string) {
  return {
    id,
    message: {
      id: `m-${id}`,
      thread_id: `t-${id}`,
      account: { id: 'a1', address: 'me@example.com', provider: 'demo' },
      from: null,
      to: [{ name: 'Bob', address: 'bob@example.org' }],
      cc: [],
      bcc: [],
      reply_to: [],
      subject,
      snippet: `About ${subject}`,
      date: '2026-11-20T12:00:00Z',
      label_ids: ['DRAFT'],
      unread: false,
      starred: false,
      has_attachments: false,
      text_body: '',
      html: null,
      attachments: [],
      message_id_header: null,
      in_reply_to: null,
    },
  }
}

describe('DraftsPage', () => {
  it('lists drafts and pages on with next_page_token', async () => {
    const seen = mockApi({
      'GET /api/v1/emails/drafts': ({ search }) =>
        search.get('page_token') === 'p2' ? envelope([draft('d2', 'Second')]) : envelope([draft('d1', 'First')], { next_page_token: 'p2' }),
    })
    const user = userEvent.setup()
    renderWithApp(<DraftsPage />, { url: '/drafts', path: '/drafts' })
    expect(screen.getByRole('heading', { level: 1, name: 'Drafts' })).toBeInTheDocument()
    const list = await screen.findByRole('list', { name: 'Drafts' })
    expect(list).toHaveTextContent('To: Bob')
    expect(list).toHaveTextContent('About First')
    expect(screen.getByRole('link', { name: 'Edit draft: First' })).toHaveAttribute('href', '/compose?draft=d1')

    await user.click(screen.getByRole('button', { name: 'Load more drafts' }))
    expect(await screen.findByText('Second')).toBeInTheDocument()
    expect(seen.filter((r) => r.path === '/api/v1/emails/drafts').map((r) => r.search.get('page_token'))).toEqual([null, 'p2'])
    expect(screen.queryByRole('button', { name: 'Load more drafts' })).not.toBeInTheDocument()
  })

  it('deletes only after confirmation', async () => {
    let deleted = false
    const seen = mockApi({
      'GET /api/v1/emails/drafts': () => envelope(deleted ? [] : [draft('d1', 'First')]),
      'DELETE /api/v1/emails/draft/d1': () => {
        deleted = true
        return envelope({ id: 'd1' })
      },
    })
    const user = userEvent.setup()
    renderWithApp(<DraftsPage />, { url: '/drafts', path: '/drafts' })
    await user.click(await screen.findByRole('button', { name: 'Delete draft: First' }))
    let dialog = screen.getByRole('dialog', { name: 'Delete this draft?' })
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    expect(seen.some((r) => r.method === 'DELETE')).toBe(false)

    await user.click(screen.getByRole('button', { name: 'Delete draft: First' }))
    dialog = screen.getByRole('dialog', { name: 'Delete this draft?' })
    await user.click(within(dialog).getByRole('button', { name: 'Delete draft' }))
    await waitFor(() => expect(seen.filter((r) => r.method === 'DELETE' && r.path === '/api/v1/emails/draft/d1')).toHaveLength(1))
    expect(await screen.findByText('No drafts')).toBeInTheDocument()
  })

  it('sends a draft and shows a failure on its row', async () => {
    const seen = mockApi({
      'GET /api/v1/emails/drafts': () => envelope([draft('d1', 'First')]),
      'POST /api/v1/emails/draft/d1/send': () => apiError(422, 'validation_failed', 'This draft has no recipients.'),
    })
    const user = userEvent.setup()
    renderWithApp(<DraftsPage />, { url: '/drafts', path: '/drafts' })
    await user.click(await screen.findByRole('button', { name: 'Send draft: First' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('This draft has no recipients.')
    expect(seen.filter((r) => r.method === 'POST')).toHaveLength(1)
  })

  it('shows an error when the list cannot be loaded', async () => {
    mockApi({ 'GET /api/v1/emails/drafts': () => apiError(503, 'unavailable', 'Gmail is not answering right now.') })
    renderWithApp(<DraftsPage />, { url: '/drafts', path: '/drafts' })
    expect(await screen.findByRole('alert')).toHaveTextContent('Gmail is not answering right now.')
  })
})
