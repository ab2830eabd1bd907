// Words for what the agent did or wants to do: tool names, activity lines, outcomes and the editable payload fields.
import type { HistoryMessage, PendingAction, ToolActivity, ToolLine } from '../types/agent'

const ACTION_KIND: Record<string, string> = {
  send_email: 'Send an email',
  reply: 'Reply',
  forward: 'Forward',
  schedule_email: 'Schedule an email',
  cancel_scheduled: 'Cancel a scheduled email',
  trash: 'Move to trash',
  apply_label: 'Add a label',
  remove_label: 'Remove a label',
  mark_read: 'Mark read or unread',
  create_draft: 'Create a draft',
  update_draft: 'Update a draft',
}

const TOOL_DONE: Record<string, string> = {
  search_emails: 'Searched mail',
  read_email: 'Read a message',
  get_thread: 'Read a thread',
  create_draft: 'Created a draft',
  update_draft: 'Updated a draft',
  send_email: 'Send an email',
  reply: 'Reply',
  forward: 'Forward',
  apply_label: 'Labelled mail',
  remove_label: 'Removed a label',
  mark_read: 'Marked mail',
  trash: 'Move to trash',
  schedule_email: 'Schedule an email',
  cancel_scheduled: 'Cancel a scheduled email',
}

function humanize(tool: string): string {
  const words = tool.replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** The heading of an approval card: what will happen, in words. */
export function actionKind(action: Pick<PendingAction, 'tool' | 'payload'>): string {
  if (action.tool === 'reply' && action.payload.reply_all === true) return 'Reply to all'
  return ACTION_KIND[action.tool] ?? humanize(action.tool)
}

const STATUS_SUFFIX: Record<string, string> = {
  pending: 'waiting for your approval',
  error: 'failed',
  failed: 'failed',
  rejected: 'rejected',
  executed: 'done',
}

function withStatus(text: string, status: string): string {
  const suffix = STATUS_SUFFIX[status]
  return suffix ? `${text} (${suffix})` : text
}

/** A tool call from a chat answer: the search query is in its arguments, the rest says itself in the summary. */
export function lineFromActivity(activity: ToolActivity): ToolLine {
  const label = TOOL_DONE[activity.tool] ?? humanize(activity.tool)
  let text: string
  if (activity.tool === 'search_emails') {
    const query = typeof activity.args.query === 'string' ? activity.args.query : ''
    text = query ? `${label}: ${query}` : `${label}: everything`
  } else {
    text = activity.summary && activity.summary !== activity.tool.replace(/_/g, ' ') ? activity.summary : label
  }
  return { key: activity.tool_call_id || `${activity.tool}:${activity.summary}`, tool: activity.tool, status: activity.status, text: withStatus(text, activity.status) }
}

/** A live agent.tool_call event (tool, status, summary, tool_call_id). */
export function lineFromEvent(data: Record<string, unknown>): ToolLine | null {
  const tool = typeof data.tool === 'string' ? data.tool : null
  if (!tool) return null
  const status = typeof data.status === 'string' ? data.status : 'ok'
  const summary = typeof data.summary === 'string' ? data.summary : ''
  const label = TOOL_DONE[tool] ?? humanize(tool)
  const text = summary && summary !== tool.replace(/_/g, ' ') ? summary : label
  const key = typeof data.tool_call_id === 'string' && data.tool_call_id ? data.tool_call_id : `${tool}:${summary}`
  return { key, tool, status, text: withStatus(text, status) }
}

/** A tool result kept in the history: only counts and outcomes are shown, never the mail content it carries. */
export function lineFromHistory(message: HistoryMessage, index: number): ToolLine {
  const tool = message.tool ?? 'tool'
  const label = TOOL_DONE[tool] ?? humanize(tool)
  let text = label
  let status = 'ok'
  try {
    const parsed = JSON.parse(message.content) as Record<string, unknown>
    const mail = parsed.untrusted_mail_content as { messages?: unknown[] } | undefined
    if (Array.isArray(mail?.messages)) text = `${label} — ${mail.messages.length} ${mail.messages.length === 1 ? 'result' : 'results'}`
    else if (typeof parsed.subject === 'string' && tool === 'create_draft') text = `${label}: '${parsed.subject}'`
    if (typeof parsed.status === 'string') status = parsed.status
    if (typeof parsed.error === 'string') status = 'error'
  } catch {
    // A result that is not JSON is still shown as the tool's name.
  }
  return { key: `history-${index}`, tool, status, text: withStatus(text, status) }
}

const SEND_TOOLS = new Set(['send_email', 'reply', 'forward'])

/** What became of a decided action, in a sentence. */
export function outcomeText(action: PendingAction): string {
  switch (action.status) {
    case 'pending':
      return 'Waiting for your approval. Nothing has been done yet.'
    case 'approved':
      return 'Approved — running…'
    case 'executed':
      if (SEND_TOOLS.has(action.tool)) return 'Approved — sent.'
      if (action.tool === 'schedule_email') {
        const at = typeof action.result.send_at === 'string' ? ` for ${action.result.send_at}` : ''
        return `Approved — scheduled${at}.`
      }
      return 'Approved — done.'
    case 'failed':
      return `Approved, but it failed: ${action.error ?? 'no reason was given.'}`
    case 'rejected':
      return 'Rejected — nothing was done.'
    default:
      return String(action.status)
  }
}

export type EditableField = 'to' | 'cc' | 'bcc' | 'subject' | 'body' | 'send_at' | 'timezone' | 'reply_all'

/** The payload fields a person may change before approving (the server checks the edited payload again). */
export function editableFields(action: Pick<PendingAction, 'tool' | 'payload'>): EditableField[] {
  switch (action.tool) {
    case 'send_email':
      // A saved draft is sent as it is; its recipients cannot be changed in the action (the server refuses both).
      return action.payload.draft_id ? [] : ['to', 'cc', 'bcc', 'subject', 'body']
    case 'reply':
      return ['body', 'reply_all']
    case 'forward':
      return ['to', 'body']
    case 'schedule_email':
      return ['to', 'cc', 'subject', 'body', 'send_at', 'timezone']
    default:
      return []
  }
}

export const ADDRESS_FIELDS: ReadonlySet<string> = new Set(['to', 'cc', 'bcc'])

/** "a@x, b@y" or one per line → ['a@x', 'b@y']. */
export function parseAddresses(text: string): string[] {
  return text
    .split(/[,;\n]/)
    .map((part) => part.trim())
    .filter(Boolean)
}

export function addressList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String)
  if (typeof value === 'string' && value) return [value]
  return []
}

/** The stored payload with the edited fields put in (empty optional fields left out). */
export function editedPayload(action: PendingAction, fields: EditableField[], values: Record<string, string | boolean>): Record<string, unknown> {
  // The server keeps the account the action was proposed on; sending it back would only be ignored.
  const replaced = new Set<string>([...fields, 'account_id'])
  const payload: Record<string, unknown> = Object.fromEntries(Object.entries(action.payload).filter(([key]) => !replaced.has(key)))
  for (const field of fields) {
    const value = values[field]
    if (field === 'reply_all') payload[field] = value === true
    else if (ADDRESS_FIELDS.has(field)) {
      const list = parseAddresses(String(value ?? ''))
      if (list.length) payload[field] = list
    } else if (field === 'subject' || field === 'body') payload[field] = String(value ?? '')
    else if (String(value ?? '').trim()) payload[field] = String(value).trim()
  }
  return payload
}
