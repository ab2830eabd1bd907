// A reply, reply-all or forward written inside the conversation (Gmail-style): the compose form under the last
// message, with its recipients worked out as the server would, attachments, Schedule send and the undo window.
import { useQuery } from '@tanstack/react-query'
import { useId } from 'react'
import { Loading } from '@/components/loading'
import { useActiveAccountId } from '@/lib/active-account'
import { ownAddressQueryOptions } from '../api/own-address'
import type { Message } from '../hooks/use-compose-source'
import { prefixedSubject } from '../lib/quoting'
import { replyRecipients } from '../lib/reply-recipients'
import { ComposeForm, type ComposeMode } from './compose-form'

export type InlineComposeKind = 'reply' | 'replyAll' | 'forward'

export interface InlineComposeProps {
  kind: InlineComposeKind
  original: Message
  onClose: () => void
}

const HEADINGS: Record<InlineComposeKind, string> = { reply: 'Reply', replyAll: 'Reply all', forward: 'Forward' }

export function InlineCompose({ kind, original, onClose }: InlineComposeProps) {
  const headingId = useId()
  const account = useActiveAccountId()
  const own = useQuery(ownAddressQueryOptions(account))
  const mode: ComposeMode = kind === 'forward' ? { kind: 'forward', original } : { kind: 'reply', original, all: kind === 'replyAll' }
  const people = kind === 'forward' ? { to: [], cc: [] } : replyRecipients(original, own.data ?? null, kind === 'replyAll')
  return (
    <section aria-labelledby={headingId} className="rounded-lg border border-brand-600/40 bg-white shadow-sm">
      <h2 id={headingId} className="border-b border-slate-100 px-4 py-2 text-sm font-semibold text-slate-900">
        {HEADINGS[kind]}
      </h2>
      {own.isPending ? (
        <Loading label="Preparing the reply…" />
      ) : (
        <ComposeForm
          // A new form for each kind and message: switching from Reply to Forward starts over.
          key={`${kind}:${original.id}`}
          mode={mode}
          initial={{
            ...people,
            bcc: [],
            subject: prefixedSubject(original.subject, kind === 'forward' ? 'Fwd:' : 'Re:'),
            html: '',
            attachments: [],
            draftId: null,
          }}
          leaveTo={`/mail/INBOX/${encodeURIComponent(original.id)}`}
          inline={{ onClose }}
        />
      )}
    </section>
  )
}
