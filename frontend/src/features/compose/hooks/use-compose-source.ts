// What the compose screen starts from, read from the URL: nothing, a saved draft, or a message to reply to/forward.
import { useQuery } from '@tanstack/react-query'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'
import { downloadAttachmentBlob } from '../api/download-attachment'
import { findByMessageId } from '../api/find-by-message-id'
import { getDraft } from '../api/get-draft'
import { originalEmailQueryOptions } from '../api/get-email'
import { uploadAttachment } from '../api/upload-attachment'
import type { ComposeAttachment, ScanVerdict } from '../lib/attachments'

export type Message = components['schemas']['entrypoints__http__mail_schemas__MessageOut']

export type ComposeSource =
  | { kind: 'new' }
  | { kind: 'draft'; id: string }
  | { kind: 'reply'; id: string; all: boolean }
  | { kind: 'forward'; id: string }

export function sourceFromParams(params: URLSearchParams): ComposeSource {
  const draft = params.get('draft')
  if (draft) return { kind: 'draft', id: draft }
  const reply = params.get('reply')
  if (reply) return { kind: 'reply', id: reply, all: params.get('all') === '1' }
  const forward = params.get('forward')
  if (forward) return { kind: 'forward', id: forward }
  return { kind: 'new' }
}

export interface LoadedDraft {
  id: string
  message: Message
  attachments: ComposeAttachment[]
  /** A saved reply: the mailbox id of the message it answers (null when it answers none, or that one is gone). */
  replyToMessageId: string | null
}

async function loadDraft(id: string, account: string | null): Promise<LoadedDraft> {
  const draft = await getDraft(id, account)
  // Saving a draft replaces its attachments: each saved one is fetched (the scanner checks it on the way) and
  // uploaded again, so the form holds it by id like any file the person attaches.
  const attachments = await Promise.all(
    draft.message.attachments.map(async (a): Promise<ComposeAttachment> => {
      const blob = await downloadAttachmentBlob(a.download_url, account)
      const uploaded = await uploadAttachment(blob, a.filename || 'attachment').done
      return {
        key: uploaded.id,
        id: uploaded.id,
        filename: uploaded.filename,
        size: uploaded.size,
        state: 'ready',
        sent: uploaded.size,
        verdict: uploaded.verdict as ScanVerdict,
        contentType: uploaded.content_type,
      }
    }),
  )
  const replyToMessageId = draft.message.in_reply_to ? await findByMessageId(draft.message.in_reply_to, account).catch(() => null) : null
  return { id: draft.id, message: draft.message, attachments, replyToMessageId }
}

export function useComposeSource(source: ComposeSource, account: string | null) {
  const draft = useQuery({
    queryKey: [QUERY_ROOTS.drafts, account, 'edit', source.kind === 'draft' ? source.id : null],
    queryFn: () => loadDraft(source.kind === 'draft' ? source.id : '', account),
    enabled: source.kind === 'draft',
    staleTime: Infinity,
    gcTime: 0,
  })
  const original = useQuery({
    ...originalEmailQueryOptions(source.kind === 'reply' || source.kind === 'forward' ? source.id : '', account),
    enabled: source.kind === 'reply' || source.kind === 'forward',
  })
  return source.kind === 'draft' ? { draft, original: null } : source.kind === 'new' ? { draft: null, original: null } : { draft: null, original }
}
