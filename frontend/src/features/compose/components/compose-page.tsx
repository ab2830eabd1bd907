// /compose: write a new message, continue a draft (?draft=), reply (?reply=[&all=1]) or forward (?forward=).
import { useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { useLocation, useSearchParams } from 'react-router'
import { ErrorMessage } from '@/components/error-message'
import { Loading } from '@/components/loading'
import { PageHeader } from '@/components/page-header'
import { AccountOverride, useActiveAccountId } from '@/lib/active-account'
import { sourceFromParams, useComposeSource, type ComposeSource } from '../hooks/use-compose-source'
import { prefixedSubject, textToHtml } from '../lib/quoting'
import { recipientFromAddress } from '../lib/recipients'
import { replyRecipients } from '../lib/reply-recipients'
import { ownAddressQueryOptions } from '../api/own-address'
import { ComposeForm, type ComposeInitial, type ComposeMode } from './compose-form'

const EMPTY: ComposeInitial = { to: [], cc: [], bcc: [], subject: '', html: '', attachments: [], draftId: null }

function titleOf(source: ComposeSource): string {
  switch (source.kind) {
    case 'draft':
      return 'Edit draft'
    case 'reply':
      return source.all ? 'Reply all' : 'Reply'
    case 'forward':
      return 'Forward'
    default:
      return 'New message'
  }
}

export function ComposePage() {
  const [params] = useSearchParams()
  const location = useLocation()
  // `?account=` (a reply or forward from a conversation) is the mailbox of the original: the reply goes out from it.
  // Kept from the URL the form was opened with, as the form rewrites its own URL once a draft is saved.
  const [urlAccount, setUrlAccount] = useState(() => params.get('account'))
  const chosen = useActiveAccountId()
  const account = urlAccount ?? chosen
  // The form starts over when the URL changes from outside (e.g. "Compose" in the sidebar), but not when it
  // rewrites its own URL after saving a draft (state.keepForm): what is on screen stays as typed.
  const keepForm = (location.state as { keepForm?: boolean } | null)?.keepForm === true
  const [source, setSource] = useState(() => sourceFromParams(params))
  const [formKey, setFormKey] = useState(location.key)
  const [seenKey, setSeenKey] = useState(location.key)
  if (location.key !== seenKey) {
    setSeenKey(location.key)
    if (!keepForm) {
      setFormKey(location.key)
      setSource(sourceFromParams(params))
      setUrlAccount(params.get('account'))
    }
  }
  const { draft, original } = useComposeSource(source, account)
  const own = useQuery({ ...ownAddressQueryOptions(account), enabled: source.kind === 'reply' })
  const title = titleOf(source)

  let content
  if (draft?.isPending || original?.isPending || (source.kind === 'reply' && own.isPending)) {
    content = <Loading label={source.kind === 'draft' ? 'Loading the draft…' : 'Loading the message…'} />
  } else if (draft?.isError || original?.isError) {
    content = <ErrorMessage error={draft?.error ?? original?.error} className="m-4" />
  } else {
    let mode: ComposeMode = { kind: 'new' }
    let initial = EMPTY
    if (source.kind === 'draft' && draft?.data) {
      const message = draft.data.message
      initial = {
        to: message.to.map(recipientFromAddress),
        cc: message.cc.map(recipientFromAddress),
        bcc: message.bcc.map(recipientFromAddress),
        subject: message.subject,
        html: message.html ?? textToHtml(message.text_body),
        attachments: draft.data.attachments,
        draftId: draft.data.id,
      }
    } else if ((source.kind === 'reply' || source.kind === 'forward') && original?.data) {
      const message = original.data
      mode = source.kind === 'reply' ? { kind: 'reply', original: message, all: source.all } : { kind: 'forward', original: message }
      const people = source.kind === 'reply' ? replyRecipients(message, own.data ?? null, source.all) : { to: [], cc: [] }
      initial = { ...EMPTY, ...people, subject: prefixedSubject(message.subject, source.kind === 'reply' ? 'Re:' : 'Fwd:') }
    }
    content = (
      <ComposeForm
        key={formKey}
        mode={mode}
        initial={initial}
        leaveTo={source.kind === 'draft' ? '/drafts' : '/mail/INBOX'}
        replyToMessageId={source.kind === 'draft' ? (draft?.data?.replyToMessageId ?? null) : null}
      />
    )
  }

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <PageHeader title={title} />
      <AccountOverride.Provider value={urlAccount}>{content}</AccountOverride.Provider>
    </div>
  )
}
