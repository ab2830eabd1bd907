// The conversation view: collapsed history, safe HTML with images on request, read marking, downloads and shortcuts.
import { act, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import type { components } from '@/api/schema'
import { signIn, signOutLocally } from '@/lib/auth-session'
import { envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import type { Message } from '../api/get-thread'
import { fullMessage, LABELS } from './mail-test-fixtures'
import { ThreadPage } from './thread-page'

afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  signOutLocally()
})

const HTML = '<p>Hello <b>friend</b></p><script>parent.alert(1)</script><img src="x" onerror="alert(2)"><img src="https://tracker.example.com/p.gif" alt="">'

const OLDER = fullMessage(1, { subject: 'Plans', snippet: 'first snippet', text_body: 'First body', date: '2024-03-01T09:00:00Z' })
const LATEST = fullMessage(2, {
  subject: 'Re: Plans',
  thread_id: 't1',
  unread: true,
  label_ids: ['INBOX', 'UNREAD', 'Label_2'],
  to: [{ name: 'Me', address: 'me@example.com' }],
  cc: [{ name: '', address: 'cc@example.com' }],
  html: HTML,
  attachments: [
    { id: 'att1', filename: 'report.pdf', mime_type: 'application/pdf', size: 2_400_000, content_id: null, inline: false, download_url: '/x' },
  ],
})

function renderThread(messages: Message[] = [OLDER, LATEST], url = '/mail/INBOX/m2?q=plans') {
  const seen = mockApi({
    'GET /api/v1/emails/m2/thread': () => envelope({ id: 't1', messages }),
    'GET /api/v1/labels': () => envelope(LABELS),
    'POST /api/v1/emails/batch-modify': (r) => envelope({ ids: (r.body as { ids: string[] }).ids }),
    'POST /api/v1/emails/m2/labels': () => envelope({ ids: ['m2'] }),
    'DELETE /api/v1/emails/m2/labels/Label_2': () => envelope({ ids: ['m2'] }),
    'GET /api/v1/emails/m2/attachments/att1': () => new Response('%PDF', { headers: { 'Content-Type': 'application/pdf' } }),
  })
  const app = renderWithApp(<ThreadPage />, {
    url,
    path: '/mail/:labelId/:messageId',
    extraRoutes: [
      { path: '/mail/:labelId', element: <p>list view</p> },
      { path: '/compose', element: <p>compose view</p> },
    ],
  })
  return { seen, ...app }
}

const frameDoc = () => (screen.getByTitle('Message from Sender 2') as HTMLIFrameElement).getAttribute('srcdoc') ?? ''

describe('ThreadPage', () => {
  it('shows the conversation oldest first with only the latest expanded', async () => {
    renderThread()
    expect(await screen.findByRole('heading', { level: 1, name: 'Plans' })).toBeInTheDocument()
    const older = screen.getByRole('button', { name: /Sender 1/ })
    expect(older).toHaveAttribute('aria-expanded', 'false')
    expect(older).toHaveTextContent('first snippet')
    expect(screen.queryByText('First body')).not.toBeInTheDocument()
    const latest = screen.getByRole('article', { name: 'Message from Sender 2' })
    expect(within(latest).getByText('Me <me@example.com>')).toBeInTheDocument()
    expect(within(latest).getByText('cc@example.com')).toBeInTheDocument()
    expect(within(latest).getByText('Work')).toBeInTheDocument()
    await userEvent.click(older)
    expect(screen.getByText('First body')).toBeInTheDocument()
    expect(screen.getByRole('link', { name: '← Back to Inbox' })).toHaveAttribute('href', '/mail/INBOX?q=plans')
    expect(screen.getByRole('link', { name: 'Reply' })).toHaveAttribute('href', '/compose?reply=m2&account=a1')
    expect(screen.getByRole('link', { name: 'Reply all' })).toHaveAttribute('href', '/compose?reply=m2&all=1&account=a1')
    expect(screen.getByRole('link', { name: 'Forward' })).toHaveAttribute('href', '/compose?forward=m2&account=a1')
  })

  it('renders HTML sanitized in a sandboxed frame with remote images hidden until asked', async () => {
    renderThread()
    await screen.findByText('Remote images are hidden to protect your privacy.')
    const frame = screen.getByTitle('Message from Sender 2')
    expect(frame.tagName).toBe('IFRAME')
    expect(frame).toHaveAttribute('sandbox', 'allow-popups allow-popups-to-escape-sandbox')
    expect(frameDoc()).toContain('<b>friend</b>')
    expect(frameDoc()).not.toMatch(/<script|onerror|alert\(/)
    expect(frameDoc()).not.toContain('tracker.example.com')
    expect(frameDoc()).toContain("img-src data: cid: ;")
    await userEvent.click(screen.getByRole('button', { name: 'Show images' }))
    expect(frameDoc()).toContain('https://tracker.example.com/p.gif')
    expect(frameDoc()).toContain('img-src data: cid: https: http:;')
    expect(frameDoc()).not.toMatch(/<script|onerror/)
    expect(screen.queryByText('Remote images are hidden to protect your privacy.')).not.toBeInTheDocument()
  })

  it('shows plain text when there is no HTML', async () => {
    renderThread([fullMessage(2, { text_body: 'Line one\n  indented line', html: null })])
    const body = await screen.findByText(/Line one/)
    expect(body.textContent).toBe('Line one\n  indented line')
    expect(body).toHaveClass('whitespace-pre-wrap')
  })

  it('marks unread messages read when opened, once', async () => {
    const { seen } = renderThread()
    await screen.findByRole('heading', { level: 1, name: 'Plans' })
    await waitFor(() => expect(seen.filter((r) => r.method === 'POST')).toHaveLength(1))
    expect(seen.find((r) => r.method === 'POST')?.body).toEqual({ ids: ['m2'], add: [], remove: ['UNREAD'] })
    // The refetch that follows the change does not trigger a second request.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(seen.filter((r) => r.path === '/api/v1/emails/batch-modify')).toHaveLength(1)
  })

  it('archives the whole conversation and goes back to the list', async () => {
    const { seen, router } = renderThread([OLDER, { ...LATEST, unread: false, label_ids: ['INBOX'] }])
    await userEvent.click(await screen.findByRole('button', { name: 'Archive' }))
    await screen.findByText('list view')
    expect(seen.find((r) => r.method === 'POST')?.body).toEqual({ ids: ['m1', 'm2'], add: [], remove: ['INBOX'] })
    expect(router.state.location.pathname + router.state.location.search).toBe('/mail/INBOX?q=plans')
  })

  it('adds and removes user labels on the message', async () => {
    const { seen } = renderThread()
    await userEvent.click(await screen.findByRole('button', { name: 'Labels' }))
    const work = screen.getByRole('checkbox', { name: 'Work' })
    expect(work).toBeChecked()
    await userEvent.click(screen.getByRole('checkbox', { name: 'Receipts' }))
    await waitFor(() => expect(seen.find((r) => r.path === '/api/v1/emails/m2/labels')?.body).toEqual({ label_ids: ['Label_1'] }))
    await waitFor(() => expect(screen.getByRole('checkbox', { name: 'Work' })).toBeEnabled())
    await userEvent.click(screen.getByRole('checkbox', { name: 'Work' }))
    await waitFor(() => expect(seen.some((r) => r.method === 'DELETE' && r.path === '/api/v1/emails/m2/labels/Label_2')).toBe(true))
  })

  it('downloads an attachment with the Authorization header through an object URL', async () => {
    signIn({ access_token: 'token-123', expires_in: 3600, user: { id: 'u1', email: 'me@example.com' } as components['schemas']['AccountOut'] })
    // jsdom has no object URLs; stand in for them on the real URL class and put it back afterwards.
    const createObjectURL = vi.fn((blob: Blob) => `blob:${blob.size}`)
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() })
    onTestFinished(() => {
      Reflect.deleteProperty(URL, 'createObjectURL')
      Reflect.deleteProperty(URL, 'revokeObjectURL')
    })
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined)
    const { seen } = renderThread()
    const item = within(await screen.findByRole('list', { name: 'Attachments' })).getByRole('listitem')
    expect(item).toHaveTextContent('report.pdf')
    expect(item).toHaveTextContent('2.3 MB')
    await userEvent.click(screen.getByRole('button', { name: 'Download report.pdf' }))
    await waitFor(() => expect(click).toHaveBeenCalled())
    const request = seen.find((r) => r.path === '/api/v1/emails/m2/attachments/att1')
    expect(request?.headers.get('Authorization')).toBe('Bearer token-123')
    expect(createObjectURL).toHaveBeenCalledTimes(1)
    const link = click.mock.contexts[0] as HTMLAnchorElement
    expect(link.download).toBe('report.pdf')
    // The 4 bytes the server sent became the object URL the link points at.
    expect(link.href).toBe('blob:4')
  })

  it('goes back with u and replies, replies all and forwards with r, a, f', async () => {
    const { router } = renderThread()
    await screen.findByRole('heading', { level: 1, name: 'Plans' })
    await userEvent.keyboard('f')
    await screen.findByText('compose view')
    expect(router.state.location.search).toBe('?forward=m2&account=a1')
    await act(() => router.navigate(-1))
    await screen.findByRole('heading', { level: 1, name: 'Plans' })
    await userEvent.keyboard('a')
    await waitFor(() => expect(router.state.location.search).toBe('?reply=m2&all=1&account=a1'))
    await act(() => router.navigate(-1))
    await screen.findByRole('heading', { level: 1, name: 'Plans' })
    await userEvent.keyboard('u')
    await screen.findByText('list view')
    expect(router.state.location.pathname).toBe('/mail/INBOX')
  })

  it('with a composer slot, Reply / Reply all / Forward and r, a, f open it inline under the latest message', async () => {
    mockApi({
      'GET /api/v1/emails/m2/thread': () => envelope({ id: 't1', messages: [OLDER, LATEST] }),
      'GET /api/v1/labels': () => envelope(LABELS),
      'POST /api/v1/emails/batch-modify': (r) => envelope({ ids: (r.body as { ids: string[] }).ids }),
    })
    const opened: string[] = []
    const user = userEvent.setup()
    const { router } = renderWithApp(
      <ThreadPage
        renderComposer={({ kind, original, onClose }) => {
          opened.push(`${kind}:${original.id}`)
          return (
            <section aria-label={`inline ${kind}`}>
              <button type="button" onClick={onClose}>
                close it
              </button>
            </section>
          )
        }}
      />,
      { url: '/mail/INBOX/m2', path: '/mail/:labelId/:messageId', extraRoutes: [{ path: '/compose', element: <p>compose view</p> }] },
    )
    await screen.findByRole('heading', { level: 1, name: 'Plans' })
    await user.click(screen.getByRole('button', { name: 'Reply' }))
    expect(screen.getByRole('region', { name: 'inline reply' })).toBeInTheDocument()
    expect(router.state.location.pathname).toBe('/mail/INBOX/m2') // no trip to the compose screen
    await user.click(screen.getByRole('button', { name: 'Forward' }))
    expect(screen.getByRole('region', { name: 'inline forward' })).toBeInTheDocument()
    expect(screen.queryByRole('region', { name: 'inline reply' })).toBeNull()
    await user.click(screen.getByRole('button', { name: 'close it' }))
    expect(screen.queryByRole('region', { name: /inline/ })).toBeNull()
    await user.keyboard('a')
    expect(screen.getByRole('region', { name: 'inline replyAll' })).toBeInTheDocument()
    // With the form open, a key that reaches the page does not start it over or leave the conversation.
    await user.keyboard('fru')
    expect(screen.getByRole('region', { name: 'inline replyAll' })).toBeInTheDocument()
    expect(screen.queryByRole('region', { name: /inline (reply|forward)$/ })).toBeNull()
    expect(router.state.location.pathname).toBe('/mail/INBOX/m2')
    expect(opened.every((o) => o.endsWith(':m2'))).toBe(true) // always the latest message
  })
})
