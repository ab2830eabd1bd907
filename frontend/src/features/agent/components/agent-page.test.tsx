// The agent screen against a mocked API: chatting, the working indicator, approval cards and their decisions.
import { act, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import type { LiveEvent } from '@/lib/live-socket'
import { apiError, envelope, mockApi, type SeenRequest } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import type { AgentTurn, PendingAction } from '../types/agent'
import { AgentPage } from './agent-page'

const live = vi.hoisted(() => ({ listeners: new Set<(event: LiveEvent) => void>() }))
vi.mock('@/lib/live-socket', () => ({
  onLiveEvent: (listener: (event: LiveEvent) => void) => {
    live.listeners.add(listener)
    return () => live.listeners.delete(listener)
  },
}))

function emit(type: string, data: Record<string, unknown>) {
  act(() => {
    for (const listener of live.listeners) listener({ type, id: '1', ts: '2026-11-26T10:00:00Z', data })
  })
}

const NOW = '2026-11-26T10:00:00Z'

function pendingSend(overrides: Partial<PendingAction> = {}): PendingAction {
  return {
    id: 'a1',
    conversation_id: 'c1',
    tool: 'send_email',
    payload: {
      to: ['bob@northwind.example'],
      cc: ['carol@contoso.example'],
      subject: 'Offsite',
      body: 'Hi Bob,\n\n  I am in.\nSee you there',
    },
    summary: "Send 'Offsite' to bob@northwind.example, carol@contoso.example",
    status: 'pending',
    created_at: NOW,
    decided_at: null,
    result: {},
    error: null,
    ...overrides,
  }
}

function turn(overrides: Partial<AgentTurn> = {}): AgentTurn {
  return { conversation_id: 'c1', reply: '', activity: [], pending_actions: [], model: 'offline', ...overrides }
}

function conversation(actions: PendingAction[]) {
  return {
    id: 'c1',
    title: 'send the offsite mail',
    created_at: NOW,
    updated_at: NOW,
    messages: 2,
    history: [
      { role: 'user', content: 'send the offsite mail', at: '2026-11-26T09:59:59Z', tool: null },
      { role: 'assistant', content: 'I need your approval first.', at: '2026-11-26T10:00:01Z', tool: null },
    ],
    actions,
  }
}

function baseRoutes(extra: Record<string, (request: SeenRequest) => Response | Promise<Response>> = {}) {
  return mockApi({
    'GET /api/v1/agent/conversations': () => envelope([]),
    'GET /api/v1/agent/actions': () => envelope([]),
    ...extra,
  })
}

function renderAgent(url = '/agent') {
  return renderWithApp(<AgentPage />, {
    url,
    path: '/agent',
    extraRoutes: [{ path: '/agent/:conversationId', element: <AgentPage /> }],
  })
}

function approvalCard(name: string) {
  return screen.getByRole('article', { name })
}

afterEach(() => {
  vi.unstubAllGlobals()
  live.listeners.clear()
})

describe('AgentPage', () => {
  it('shows example prompts that fill the composer', async () => {
    baseRoutes()
    renderAgent()
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: 'find unread mail about the offsite' }))
    expect(screen.getByLabelText('Message the agent')).toHaveValue('find unread mail about the offsite')
    expect(screen.getByText(/waits for your approval/)).toBeInTheDocument()
  })

  it('posts the message, shows the working indicator meanwhile and renders the reply as Markdown', async () => {
    let answer: (response: Response) => void = () => undefined
    const seen = baseRoutes({
      'POST /api/v1/agent/chat': () => new Promise<Response>((resolve) => (answer = resolve)),
      'GET /api/v1/agent/conversations/c1': () => envelope(conversation([])),
    })
    const { router } = renderAgent()
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Message the agent'), 'find unread mail about the offsite{Enter}')

    expect(await screen.findByRole('status')).toHaveTextContent('The agent is working…')
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled()
    const log = screen.getByRole('log')
    expect(log).toHaveAttribute('aria-live', 'polite')
    expect(within(log).getByText('find unread mail about the offsite')).toBeInTheDocument()
    expect(seen.find((r) => r.method === 'POST')?.body).toEqual({ message: 'find unread mail about the offsite', conversation_id: null })

    answer(
      envelope(
        turn({
          reply: 'Found **2** messages:\n\n- Offsite agenda\n- [the doc](https://example.com/doc)\n\n<b>raw</b>',
          activity: [
            { tool_call_id: 't1', tool: 'search_emails', args: { query: 'is:unread offsite', limit: 10 }, status: 'ok', summary: 'search emails', pending_action_id: null },
          ],
        }),
      ),
    )

    expect(await within(log).findByText('2', { selector: 'strong' })).toBeInTheDocument()
    expect(within(log).getByText('Offsite agenda').tagName).toBe('LI')
    const link = within(log).getByRole('link', { name: 'the doc' })
    expect(link).toHaveAttribute('target', '_blank')
    expect(link).toHaveAttribute('rel', expect.stringContaining('noopener'))
    expect(log.querySelector('b')).toBeNull()
    expect(within(log).getByText('Searched mail: is:unread offsite')).toBeInTheDocument()
    await waitFor(() => expect(screen.queryByText('The agent is working…')).not.toBeInTheDocument())
    expect(screen.getByLabelText('Message the agent')).toHaveValue('')
    await waitFor(() => expect(router.state.location.pathname).toBe('/agent/c1'))
    // The conversation's own transcript survives the move to its address.
    expect(within(screen.getByRole('log')).getByText('Searched mail: is:unread offsite')).toBeInTheDocument()
  })

  it('sends on Enter but not on Shift+Enter', async () => {
    const seen = baseRoutes({ 'POST /api/v1/agent/chat': () => envelope(turn({ reply: 'ok' })) })
    renderAgent()
    const user = userEvent.setup()
    const box = screen.getByLabelText('Message the agent')
    await user.type(box, 'line one{Shift>}{Enter}{/Shift}line two')
    expect(box).toHaveValue('line one\nline two')
    expect(seen.filter((r) => r.method === 'POST')).toHaveLength(0)
    await user.type(box, '{Enter}')
    await waitFor(() => expect(seen.filter((r) => r.method === 'POST')).toHaveLength(1))
    expect(seen.find((r) => r.method === 'POST')?.body).toMatchObject({ message: 'line one\nline two' })
  })

  it('shows recipients, subject and the whole body of a pending action and approves it once on a double click', async () => {
    let resolveApprove: (response: Response) => void = () => undefined
    const seen = baseRoutes({
      'GET /api/v1/agent/conversations/c1': () => envelope(conversation([pendingSend()])),
      'POST /api/v1/agent/actions/a1/approve': () => new Promise<Response>((resolve) => (resolveApprove = resolve)),
    })
    renderAgent('/agent/c1')
    const card = await screen.findByRole('article', { name: 'Send an email' })
    expect(within(card).getByText('bob@northwind.example')).toBeInTheDocument()
    expect(within(card).getByText('carol@contoso.example')).toBeInTheDocument()
    expect(within(card).getByText('Offsite')).toBeInTheDocument()
    const body = within(card).getByText(/Hi Bob,/)
    expect(body.textContent).toBe('Hi Bob,\n\n  I am in.\nSee you there')
    expect(body.tagName).toBe('PRE')

    const user = userEvent.setup()
    await user.dblClick(within(card).getByRole('button', { name: 'Approve' }))
    expect(await screen.findByText('The agent is working…')).toBeInTheDocument()
    resolveApprove(
      envelope({
        action: pendingSend({ status: 'executed', decided_at: NOW, result: { sent: true } }),
        turn: turn({ reply: 'Sent.' }),
      }),
    )
    expect(await within(approvalCard('Send an email')).findByText('Approved — sent.')).toBeInTheDocument()
    expect(within(screen.getByRole('log')).getByText('Sent.')).toBeInTheDocument()
    expect(within(approvalCard('Send an email')).queryByRole('button', { name: 'Approve' })).not.toBeInTheDocument()
    expect(seen.filter((r) => r.method === 'POST' && r.path.endsWith('/approve'))).toHaveLength(1)
  })

  it('approves an edited payload from the Edit dialog and shows the server validation error there', async () => {
    let attempts = 0
    const seen = baseRoutes({
      'GET /api/v1/agent/conversations/c1': () => envelope(conversation([pendingSend()])),
      'POST /api/v1/agent/actions/a1/approve': () => {
        attempts += 1
        if (attempts === 1) return apiError(422, 'validation_failed', 'The edited payload is not valid: to[0] must not be empty.', [{ field: 'payload' }])
        return envelope({ action: pendingSend({ status: 'executed', result: { sent: true } }), turn: turn({ reply: 'Sent the edited mail.' }) })
      },
    })
    renderAgent('/agent/c1')
    const user = userEvent.setup()
    const card = await screen.findByRole('article', { name: 'Send an email' })
    await user.click(within(card).getByRole('button', { name: 'Edit' }))
    const dialog = screen.getByRole('dialog', { name: 'Edit before approving: Send an email' })
    const to = within(dialog).getByLabelText('To')
    expect(to).toHaveValue('bob@northwind.example')
    await user.clear(to)
    await user.type(to, 'bob@northwind.example, dave@example.com')
    const subject = within(dialog).getByLabelText('Subject')
    await user.clear(subject)
    await user.type(subject, 'Offsite: yes')
    await user.clear(within(dialog).getByLabelText('Cc'))
    await user.click(within(dialog).getByRole('button', { name: 'Approve edited' }))

    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The edited payload is not valid')
    await user.click(within(dialog).getByRole('button', { name: 'Approve edited' }))
    expect(await screen.findByText('Sent the edited mail.')).toBeInTheDocument()
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()

    const approvals = seen.filter((r) => r.path === '/api/v1/agent/actions/a1/approve')
    expect(approvals).toHaveLength(2)
    expect(approvals[1]?.body).toEqual({
      payload: { to: ['bob@northwind.example', 'dave@example.com'], subject: 'Offsite: yes', body: 'Hi Bob,\n\n  I am in.\nSee you there' },
    })
  })

  it('rejects and shows the agent follow-up', async () => {
    const seen = baseRoutes({
      'GET /api/v1/agent/conversations/c1': () => envelope(conversation([pendingSend()])),
      'POST /api/v1/agent/actions/a1/reject': () =>
        envelope({ action: pendingSend({ status: 'rejected', decided_at: NOW }), turn: turn({ reply: 'Understood, I did not send it.' }) }),
    })
    renderAgent('/agent/c1')
    const user = userEvent.setup()
    const card = await screen.findByRole('article', { name: 'Send an email' })
    await user.click(within(card).getByRole('button', { name: 'Reject' }))
    expect(await screen.findByText('Understood, I did not send it.')).toBeInTheDocument()
    expect(within(approvalCard('Send an email')).getByText('Rejected — nothing was done.')).toBeInTheDocument()
    expect(seen.filter((r) => r.path === '/api/v1/agent/actions/a1/reject')).toHaveLength(1)
    expect(seen.filter((r) => r.path.endsWith('/approve'))).toHaveLength(0)
  })

  it('shows the error of a decision that was already made', async () => {
    baseRoutes({
      'GET /api/v1/agent/conversations/c1': () => envelope(conversation([pendingSend()])),
      'POST /api/v1/agent/actions/a1/approve': () => apiError(409, 'conflict', 'This action was already executed.'),
    })
    renderAgent('/agent/c1')
    const user = userEvent.setup()
    const card = await screen.findByRole('article', { name: 'Send an email' })
    await user.click(within(card).getByRole('button', { name: 'Approve' }))
    expect(await within(approvalCard('Send an email')).findByRole('alert')).toHaveTextContent('This action was already executed.')
  })

  it('shows a card when a live agent.action_pending event arrives for this conversation', async () => {
    let pending: PendingAction[] = []
    baseRoutes({
      'GET /api/v1/agent/conversations/c1': () => envelope(conversation([])),
      'GET /api/v1/agent/actions': () => envelope(pending),
    })
    renderAgent('/agent/c1')
    expect(await screen.findByText('I need your approval first.')).toBeInTheDocument()
    expect(screen.queryByRole('article')).not.toBeInTheDocument()

    pending = [pendingSend({ id: 'a9', tool: 'trash', payload: { message_ids: ['m1', 'm2'] }, summary: 'Move 2 message(s) to the trash' })]
    emit('agent.action_pending', { conversation_id: 'c1', tool: 'trash', status: 'pending', summary: 'Move 2 message(s) to the trash', pending_action_id: 'a9' })
    const card = await screen.findByRole('article', { name: 'Move to trash' })
    expect(within(card).getByText('2 (m1, m2)')).toBeInTheDocument()
    expect(within(card).getByRole('button', { name: 'Approve' })).toBeEnabled()
    expect(within(card).queryByRole('button', { name: 'Edit' })).not.toBeInTheDocument()
  })

  it('adds live tool activity of this conversation while the agent works', async () => {
    let answer: (response: Response) => void = () => undefined
    baseRoutes({
      'GET /api/v1/agent/conversations/c1': () => envelope(conversation([])),
      'POST /api/v1/agent/chat': () => new Promise<Response>((resolve) => (answer = resolve)),
    })
    renderAgent('/agent/c1')
    await screen.findByText('I need your approval first.')
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Message the agent'), 'summarize the thread about the offsite{Enter}')
    emit('agent.tool_call', { conversation_id: 'other', tool: 'get_thread', status: 'ok', summary: 'elsewhere', tool_call_id: 'x' })
    emit('agent.tool_call', { conversation_id: 'c1', tool: 'get_thread', status: 'ok', summary: 'get thread', tool_call_id: 't2' })
    expect(await screen.findByText('Read a thread')).toBeInTheDocument()
    expect(screen.queryByText('elsewhere')).not.toBeInTheDocument()
    answer(envelope(turn({ reply: 'Here is the summary.' })))
    expect(await screen.findByText('Here is the summary.')).toBeInTheDocument()
  })

  it('shows the contents of a draft a pending send would send', async () => {
    const draftSend = pendingSend({ payload: { draft_id: 'r1' }, summary: "Send the draft 'Re: Offsite' to bob@northwind.example" })
    const seen = baseRoutes({
      'GET /api/v1/agent/conversations/c1': () => envelope(conversation([draftSend])),
      'GET /api/v1/emails/draft/r1': () =>
        envelope({
          id: 'r1',
          message: {
            id: 'm5', thread_id: 't', from: null, to: [{ name: 'Bob', address: 'bob@northwind.example' }], cc: [], bcc: [], reply_to: [],
            subject: 'Re: Offsite', snippet: '', date: NOW, label_ids: ['DRAFT'], unread: false, starred: false, has_attachments: false,
            text_body: 'I am in\n', html: null, attachments: [], message_id_header: null, in_reply_to: null,
          },
        }),
    })
    renderAgent('/agent/c1')
    const card = await screen.findByRole('article', { name: 'Send an email' })
    expect(await within(card).findByText('Bob <bob@northwind.example>')).toBeInTheDocument()
    expect(within(card).getByText('Re: Offsite')).toBeInTheDocument()
    expect(within(card).queryByRole('button', { name: 'Edit' })).not.toBeInTheDocument()
    expect(seen.some((r) => r.path === '/api/v1/emails/draft/r1')).toBe(true)
  })

  it('keeps the typed text and explains a 429', async () => {
    baseRoutes({
      'POST /api/v1/agent/chat': () => apiError(429, 'rate_limited', 'Too many messages to the agent; try again in 30 s.'),
    })
    renderAgent()
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Message the agent'), 'find mail from zed')
    await user.click(screen.getByRole('button', { name: 'Send' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('Too many messages to the agent; try again in 30 s.')
    expect(screen.getByLabelText('Message the agent')).toHaveValue('find mail from zed')
    expect(within(screen.getByRole('log')).queryByText('find mail from zed')).not.toBeInTheDocument()
  })

  it('lists conversations and opens one', async () => {
    baseRoutes({
      'GET /api/v1/agent/conversations': () => envelope([{ id: 'c1', title: 'send the offsite mail', created_at: NOW, updated_at: NOW, messages: 2 }]),
      'GET /api/v1/agent/conversations/c1': () => envelope(conversation([])),
    })
    const { router } = renderAgent()
    const user = userEvent.setup()
    await user.click(await screen.findByRole('link', { name: /send the offsite mail/ }))
    expect(router.state.location.pathname).toBe('/agent/c1')
    expect(await screen.findByText('I need your approval first.')).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'New conversation' }))
    expect(router.state.location.pathname).toBe('/agent')
  })
})
