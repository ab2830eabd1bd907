// The compose form: recipients, subject, rich body, attachments and the send / save / schedule / discard actions.
import { useEffect, useId, useRef, useState, type ClipboardEvent, type DragEvent, type KeyboardEvent } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useNavigate } from 'react-router'
import { toast } from 'sonner'
import type { components } from '@/api/schema'
import { Button } from '@/components/button'
import { Dialog } from '@/components/dialog'
import { ErrorMessage } from '@/components/error-message'
import { ScheduleDialog, type ScheduleChoice } from '@/components/schedule-picker'
import { TextField } from '@/components/text-field'
import { useActiveAccountId } from '@/lib/active-account'
import { ApiError } from '@/lib/api-error'
import { useDeleteDraft } from '../api/delete-draft'
import { useForwardEmail } from '../api/forward-email'
import { saveDraft as saveDraftRequest, useSaveDraft } from '../api/save-draft'
import { useScheduleEmail } from '../api/schedule-email'
import { useSendDraft } from '../api/send-draft'
import { useSendEmail } from '../api/send-email'
import { QUERY_ROOTS } from '@/lib/query-keys'
import type { Message } from '../hooks/use-compose-source'
import { useAttachments } from '../hooks/use-attachments'
import type { ComposeAttachment } from '../lib/attachments'
import { offerUndo } from '@/lib/undo'
import { confirmHeldSend, rememberHeldSend, secondsUntil, undoSendSeconds } from '@/lib/undo-send'
import { cancelHeldSend } from '../api/cancel-send'
import { heldSendOutcome } from '../api/held-send-status'
import { autosave } from '../lib/autosave'
import { forwardedHtml, forwardedText, quotedHtml, quotedText, quoteHeader } from '../lib/quoting'
import { downloadAttachmentBlob } from '../api/download-attachment'
import { uploadAttachment } from '../api/upload-attachment'
import { splitRecipients, type Recipient } from '../lib/recipients'
import { AttachmentPanel } from './attachment-panel'
import { RecipientInput } from './recipient-input'
import { fromAccountsQueryOptions } from '../api/list-from-accounts'
import { RichTextEditor, type EditorContentValue } from './rich-text-editor'

type ComposeIn = components['schemas']['ComposeIn']
type DraftIn = components['schemas']['DraftIn']
type ScheduleIn = components['schemas']['ScheduleIn']
/** How a held or scheduled send names its conversation (POST /emails/schedule's thread reference). */
type ThreadFields = Pick<ScheduleIn, 'reply_to_message_id' | 'forward_message_id' | 'include_attachments'>

export type ComposeMode = { kind: 'new' } | { kind: 'reply'; original: Message; all: boolean } | { kind: 'forward'; original: Message }

export interface ComposeInitial {
  to: Recipient[]
  cc: Recipient[]
  bcc: Recipient[]
  subject: string
  html: string
  attachments: ComposeAttachment[]
  draftId: string | null
}

export interface ComposeFormProps {
  mode: ComposeMode
  initial: ComposeInitial
  /** Where Discard of a saved draft goes back to. */
  leaveTo: string
  /** A saved reply being continued: the id of the message it answers, so its send stays in that conversation. */
  replyToMessageId?: string | null
  /** Shown inside a conversation (Gmail-style) rather than on its own page: closing returns to the conversation. */
  inline?: { onClose: () => void }
}

type RecipientField = 'to' | 'cc' | 'bcc'


const NOTHING_TYPED: Record<RecipientField, string> = { to: '', cc: '', bcc: '' }

function snapshotOf(parts: unknown[]): string {
  return JSON.stringify(parts)
}

function withTyped(list: Recipient[], typed: string): Recipient[] {
  const extra = splitRecipients(typed).filter((r) => !list.some((x) => x.address.toLowerCase() === r.address.toLowerCase()))
  return [...list, ...extra]
}

function hasFiles(transfer: DataTransfer | null): boolean {
  return !!transfer && Array.from(transfer.types).includes('Files')
}

/** Which account sends: a select for a new message when there are several, the original's account for a reply. */
function FromPicker({ account, locked, onChange }: { account: string | null; locked: string | null; onChange: (id: string) => void }) {
  const accounts = useQuery(fromAccountsQueryOptions())
  const list = (accounts.data ?? []).filter((a) => a.status === 'active')
  if (list.length < 2) return null
  if (locked) {
    return (
      <p className="text-sm text-slate-700">
        From: <span className="font-medium">{locked}</span>
      </p>
    )
  }
  const current = list.find((a) => a.id === account) ?? list[0]
  return (
    <label className="flex items-center gap-2 text-sm font-medium text-slate-700">
      From
      <select
        value={current?.id ?? ''}
        onChange={(event) => onChange(event.target.value)}
        className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm font-normal text-slate-900"
      >
        {list.map((a) => (
          <option key={a.id} value={a.id}>
            {a.address}
          </option>
        ))}
      </select>
    </label>
  )
}

export function ComposeForm({ mode, initial, leaveTo, replyToMessageId = null, inline }: ComposeFormProps) {
  const ids = useId()
  const navigate = useNavigate()
  // The account it is sent from: the original's for a reply or forward, else the From picker's choice.
  const startAccount = useActiveAccountId()
  const [account, setAccount] = useState(startAccount)
  const [idempotencyKey] = useState(() => crypto.randomUUID())
  const [to, setTo] = useState(initial.to)
  const [cc, setCc] = useState(initial.cc)
  const [bcc, setBcc] = useState(initial.bcc)
  const [typed, setTyped] = useState<Record<RecipientField, string>>({ to: '', cc: '', bcc: '' })
  const [showCc, setShowCc] = useState(initial.cc.length > 0)
  const [showBcc, setShowBcc] = useState(initial.bcc.length > 0)
  const [subject, setSubject] = useState(initial.subject)
  const [body, setBody] = useState<EditorContentValue>({ html: initial.html, text: '' })
  const attachments = useAttachments(initial.attachments)
  const [dragging, setDragging] = useState(false)
  const [includeAttachments, setIncludeAttachments] = useState(true)
  const [draftId, setDraftIdState] = useState(initial.draftId)
  // The draft's id as soon as a save answers (state arrives a render later; a send right after must not miss it).
  const draftIdRef = useRef(initial.draftId)
  const setDraftId = (id: string) => {
    draftIdRef.current = id
    setDraftIdState(id)
  }
  const manualSaving = useRef(false)
  const [savedSnapshot, setSavedSnapshot] = useState<string | null>(null)
  const [localErrors, setLocalErrors] = useState<Partial<Record<RecipientField, string>>>({})
  const [actionError, setActionError] = useState<unknown>(null)
  const [scheduleOpen, setScheduleOpen] = useState(false)
  const [discardOpen, setDiscardOpen] = useState(false)
  const [sending, setSending] = useState(false)
  const sendingRef = useRef(false)

  const sendEmail = useSendEmail()
  const sendDraft = useSendDraft()
  const saveDraft = useSaveDraft()
  const deleteDraft = useDeleteDraft()
  const forward = useForwardEmail()
  const schedule = useScheduleEmail()

  const isReply = mode.kind === 'reply'
  const isForward = mode.kind === 'forward'
  // Another From: the draft saved so far lives in the old account, so it goes; the next save makes it in the new one.
  const changeFrom = (next: string) => {
    if (next === account) return
    const old = draftIdRef.current
    if (old) {
      draftIdRef.current = null
      setDraftIdState(null)
      setSavedSnapshot(null)
      deleteDraft.mutate({ draftId: old, account })
    }
    setAccount(next)
  }
  const subjectLocked = isReply || isForward
  /** The conversation a send stays in: the message replied to or forwarded, or the one a saved reply answers. */
  const threadMessageId = mode.kind === 'new' ? replyToMessageId : mode.original.id
  const threadFields = (): ThreadFields =>
    mode.kind === 'forward'
      ? { forward_message_id: mode.original.id, include_attachments: includeAttachments }
      : { reply_to_message_id: threadMessageId, include_attachments: true }
  /** Where leaving goes: back to the conversation for a reply, else the given place. */
  const leave = () => {
    if (inline) inline.onClose()
    else navigate(mode.kind === 'reply' ? `/mail/INBOX/${encodeURIComponent(mode.original.id)}` : leaveTo)
  }
  const snapshotFor = (lists: Record<RecipientField, Recipient[]>, typedNow: Record<RecipientField, string>, html: string) =>
    snapshotOf([
      lists.to.map((r) => r.value),
      lists.cc.map((r) => r.value),
      lists.bcc.map((r) => r.value),
      typedNow,
      subject,
      html,
      attachments.ids,
      includeAttachments,
    ])
  const snapshot = snapshotFor({ to, cc, bcc }, typed, body.html)
  const dirty = savedSnapshot !== null && snapshot !== savedSnapshot

  useEffect(() => {
    if (!dirty) return undefined
    const warn = (event: BeforeUnloadEvent) => event.preventDefault()
    window.addEventListener('beforeunload', warn)
    return () => window.removeEventListener('beforeunload', warn)
  }, [dirty])

  const apiError = actionError instanceof ApiError ? actionError : null
  const fieldError = (field: string) => apiError?.fieldMessage(field)
  const serverFields = ['to', 'cc', 'bcc', 'subject', 'text_body', 'html_body', 'attachments']
  const generalError = actionError && !serverFields.some((f) => fieldError(f)) ? actionError : null

  /** The recipients including what is still typed; null (with messages shown) when something must be fixed first. */
  const checkedRecipients = (requireOne: boolean): Record<RecipientField, Recipient[]> | null => {
    const lists = { to: withTyped(to, typed.to), cc: withTyped(cc, typed.cc), bcc: withTyped(bcc, typed.bcc) }
    setTo(lists.to)
    setCc(lists.cc)
    setBcc(lists.bcc)
    setTyped(NOTHING_TYPED)
    const errors: Partial<Record<RecipientField, string>> = {}
    for (const field of ['to', 'cc', 'bcc'] as const) {
      if (lists[field].some((r) => !r.valid)) errors[field] = 'Fix or remove the addresses marked as not valid.'
    }
    const needsTo = isForward ? lists.to.length === 0 : lists.to.length + lists.cc.length + lists.bcc.length === 0
    if (requireOne && needsTo && !errors.to) errors.to = 'Add at least one recipient.'
    setLocalErrors(errors)
    return Object.keys(errors).length ? null : lists
  }

  /** The message as it leaves: a reply or forward carries the original below the text, as the server's own reply
   * and forward endpoints add it. */
  const composeBody = (lists: Record<RecipientField, Recipient[]>): ComposeIn => {
    const quote = mode.kind === 'reply' ? quotedHtml(mode.original) : mode.kind === 'forward' ? forwardedHtml(mode.original) : ''
    const quoteText = mode.kind === 'reply' ? quotedText(mode.original) : mode.kind === 'forward' ? forwardedText(mode.original) : ''
    return {
      to: lists.to.map((r) => r.value),
      cc: lists.cc.map((r) => r.value),
      bcc: lists.bcc.map((r) => r.value),
      subject,
      text_body: body.text + quoteText,
      html_body: body.html ? body.html + quote : quote || null,
      attachment_ids: attachments.ids,
    }
  }

  const draftBody = (lists: Record<RecipientField, Recipient[]>): DraftIn => ({
    ...composeBody(lists),
    text_body: body.text,
    html_body: body.html || null,
    reply_to_message_id: threadMessageId,
  })

  // Autosave (issue 17): once typing has paused (lib/autosave.ts), what is on screen is saved as a draft (created on
  // the first save, updated after), so a reload or a crash loses at most the last moment. Addresses still being
  // typed or marked not valid are left out of the saved copy, not reported: nobody asked to send yet.
  const queryClient = useQueryClient()
  const [autosaveState, setAutosave] = useState<'idle' | 'saving' | 'failed'>('idle')
  const autosaving = useRef(false)
  const meaningful = to.length + cc.length + bcc.length > 0 || subject.trim() !== '' || body.text.trim() !== '' || attachments.ids.length > 0
  const savedBody = (): DraftIn => {
    const valid = (list: Recipient[]) => list.filter((r) => r.valid)
    return draftBody({ to: valid(to), cc: valid(cc), bcc: valid(bcc) })
  }
  const latest = useRef({ dirty, meaningful, body: savedBody, account })
  /** Set once the message was sent, scheduled or discarded: leaving then keeps nothing. */
  const finished = useRef(false)
  const pendingAutosave = useRef<Promise<void> | null>(null)
  const autosaveNow = async (): Promise<void> => {
    if (autosaving.current || manualSaving.current || sendingRef.current || finished.current || attachments.uploading) return
    const draftId = draftIdRef.current
    if (!draftId && !meaningful) return
    autosaving.current = true
    setAutosave('saving')
    const forSnapshot = snapshot
    let done: () => void = () => undefined
    pendingAutosave.current = new Promise((resolve) => (done = resolve))
    try {
      const saved = await saveDraftRequest({ draftId, body: savedBody(), account })
      setSavedSnapshot(forSnapshot)
      setAutosave('idle')
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.drafts] })
      if (!draftId) {
        setDraftId(saved.id)
        if (!inline) navigate(`/compose?draft=${encodeURIComponent(saved.id)}`, { replace: true, state: { keepForm: true } })
      }
    } catch {
      setAutosave('failed')
    } finally {
      autosaving.current = false
      pendingAutosave.current = null
      done()
    }
  }
  const autosaveRef = useRef(autosaveNow)
  useEffect(() => {
    latest.current = { dirty, meaningful, body: savedBody, account }
    autosaveRef.current = autosaveNow
  })
  useEffect(() => {
    if (!dirty) return undefined
    const timer = setTimeout(() => void autosaveRef.current(), autosave.delayMs)
    return () => clearTimeout(timer)
  }, [dirty, snapshot])
  // Leaving with unsaved changes (a link, Back, a shortcut): the draft is kept, and the person is told where it is.
  useEffect(
    () => () => {
      const now = latest.current
      if (!now.dirty || finished.current || (!draftIdRef.current && !now.meaningful)) return
      // After an autosave in flight (it may be creating the draft), so the same draft is updated, not a second made.
      void (pendingAutosave.current ?? Promise.resolve())
        .then(() => saveDraftRequest({ draftId: draftIdRef.current, body: now.body(), account: now.account }))
        .then(
        () => {
          void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.drafts] })
          toast.success('Draft saved', { description: 'Your message is in Drafts.' })
        },
        () => toast.error('Your draft could not be saved', { description: 'The server could not be reached.' }),
      )
    },
    [queryClient],
  )

  const finish = (message: string, destination: string, description?: string) => {
    finished.current = true
    setSavedSnapshot(snapshot)
    toast.success(message, description ? { description, duration: 10_000 } : undefined)
    if (inline) inline.onClose()
    else navigate(destination)
  }

  const dropSavedDraft = async () => {
    const draftId = draftIdRef.current
    if (!draftId) return
    try {
      await deleteDraft.mutateAsync({ draftId, account })
    } catch {
      // The message went out; a leftover draft is a nuisance, not a failure to report over the success.
    }
  }

  /** Sending waits for every upload: a message never leaves without a file the person attached. */
  const uploadsSettled = (): boolean => {
    if (attachments.uploading) {
      setActionError(new Error('Wait until the attachments have finished uploading.'))
      return false
    }
    if (attachments.list.some((a) => a.state === 'failed')) {
      setActionError(new Error('Remove the attachments that could not be uploaded first.'))
      return false
    }
    return true
  }

  /** Undo send (issue 17): the server holds the message for the person's undo window (a scheduled send due then,
   * so closing the tab neither loses nor doubles it); Undo or `z` cancels it and reopens it as a draft. */
  const sendWithUndo = async (lists: Record<RecipientField, Recipient[]>) => {
    const content = composeBody(lists)
    const thread = threadFields()
    const held = await schedule.mutateAsync({ body: { ...content, ...thread, undo_hold: true }, account })
    const seconds = secondsUntil(held.send_at)
    rememberHeldSend(held.id)
    await dropSavedDraft()
    finished.current = true
    setSavedSnapshot(snapshot)
    const draft = draftBody(lists)
    const original = mode.kind === 'forward' && includeAttachments ? mode.original : null
    const restore = async () => {
      await cancelHeldSend(held.id)
      // A forward's own files come back as uploads, so the reopened draft still carries them.
      const forwarded = original
        ? await Promise.all(
            original.attachments.map(async (a) => {
              const blob = await downloadAttachmentBlob(a.download_url, account)
              return (await uploadAttachment(blob, a.filename || 'attachment').done).id
            }),
          ).catch(() => [])
        : []
      const withFiles = { ...draft, attachment_ids: [...draft.attachment_ids ?? [], ...forwarded] }
      // The files held for the send may be gone with it: keep the text rather than fail over them.
      const saved = await saveDraftRequest({ draftId: null, body: withFiles, account }).catch(() =>
        saveDraftRequest({ draftId: null, body: { ...draft, attachment_ids: [] }, account }),
      )
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.drafts] })
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.scheduled] })
      navigate(`/compose?draft=${encodeURIComponent(saved.id)}`)
    }
    // When the window is over the notice says "Sending…" until the server has sent it, then "Message sent" (and the
    // sent copy is fetched into the lists and the conversation), or why it could not go.
    const elapsed = (toastId: string) =>
      void confirmHeldSend(held.id, toastId, {
        check: () => heldSendOutcome(held.id),
        onSent: () => {
          for (const root of [QUERY_ROOTS.emails, QUERY_ROOTS.thread, QUERY_ROOTS.labels, QUERY_ROOTS.scheduled]) {
            void queryClient.invalidateQueries({ queryKey: [root] })
          }
        },
      })
    offerUndo('Sending…', restore, seconds, { text: (left) => `Sends in ${left} s`, elapsed })
    if (inline) inline.onClose()
    else navigate(mode.kind === 'new' ? '/mail/INBOX' : `/mail/INBOX/${encodeURIComponent(mode.original.id)}`)
  }

  const send = async () => {
    if (sendingRef.current || !uploadsSettled()) return
    const lists = checkedRecipients(true)
    if (!lists) return
    sendingRef.current = true
    setSending(true)
    setActionError(null)
    // An autosave in flight may be creating the draft: wait for it, so the sent message does not leave one behind.
    await pendingAutosave.current
    try {
      if (undoSendSeconds() > 0) {
        // Every send, a reply or forward too, is held for the undo window in its conversation.
        await sendWithUndo(lists)
      } else if (mode.kind === 'reply') {
        // Sent as a draft in the thread, so the recipients are exactly the ones on screen.
        const saved = await saveDraft.mutateAsync({ draftId: draftIdRef.current, body: { ...composeBody(lists), reply_to_message_id: mode.original.id }, account })
        await sendDraft.mutateAsync({ draftId: saved.id, account })
        finish('Message sent', `/mail/INBOX/${encodeURIComponent(mode.original.id)}`)
      } else if (mode.kind === 'forward') {
        await forward.mutateAsync({
          messageId: mode.original.id,
          idempotencyKey,
          account,
          body: {
            to: lists.to.map((r) => r.value),
            cc: lists.cc.map((r) => r.value),
            text_body: body.text,
            include_attachments: includeAttachments,
            attachment_ids: attachments.ids,
          },
        })
        await dropSavedDraft()
        finish('Message sent', '/mail/INBOX')
      } else if (draftIdRef.current) {
        const draftId = draftIdRef.current
        // A saved draft is sent as stored: bring it up to date first if it was edited since.
        if (snapshot !== savedSnapshot) await saveDraft.mutateAsync({ draftId, body: draftBody(lists), account })
        await sendDraft.mutateAsync({ draftId, account })
        finish('Message sent', '/mail/INBOX')
      } else {
        await sendEmail.mutateAsync({ body: composeBody(lists), idempotencyKey, account })
        finish('Message sent', '/mail/INBOX')
      }
    } catch (error) {
      setActionError(error)
    } finally {
      sendingRef.current = false
      setSending(false)
    }
  }

  const save = async () => {
    if (!uploadsSettled()) return
    const lists = checkedRecipients(false)
    if (!lists) return
    setActionError(null)
    manualSaving.current = true
    await pendingAutosave.current
    const draftId = draftIdRef.current
    try {
      const saved = await saveDraft.mutateAsync({ draftId, body: draftBody(lists), account })
      setSavedSnapshot(snapshotFor(lists, NOTHING_TYPED, body.html))
      if (!draftId) {
        setDraftId(saved.id)
        // The URL names the draft (reload-safe); keepForm tells the page not to reload what is on screen.
        navigate(`/compose?draft=${encodeURIComponent(saved.id)}`, { replace: true, state: { keepForm: true } })
      }
      toast.success('Draft saved')
    } catch (error) {
      setActionError(error)
    } finally {
      manualSaving.current = false
    }
  }

  const openSchedule = () => {
    if (!uploadsSettled() || !checkedRecipients(true)) return
    schedule.reset()
    setScheduleOpen(true)
  }

  const submitSchedule = async ({ sendAt, timeZone }: ScheduleChoice) => {
    const lists = checkedRecipients(true)
    if (!lists) {
      setScheduleOpen(false)
      return
    }
    try {
      const scheduled = await schedule.mutateAsync({ body: { ...composeBody(lists), ...threadFields(), send_at: sendAt, timezone: timeZone, undo_hold: false }, account })
      await dropSavedDraft()
      setScheduleOpen(false)
      const when = new Date(scheduled.send_at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: scheduled.timezone })
      const description = [`Sends ${when} (${scheduled.timezone}).`, scheduled.adjustment].filter(Boolean).join(' ')
      finish('Message scheduled', '/scheduled', description)
    } catch {
      // The dialog shows schedule.error next to the field it is about.
    }
  }

  const discard = async () => {
    await pendingAutosave.current
    const draftId = draftIdRef.current
    if (draftId) {
      try {
        await deleteDraft.mutateAsync({ draftId, account })
      } catch (error) {
        setDiscardOpen(false)
        setActionError(error)
        return
      }
    }
    setDiscardOpen(false)
    finished.current = true
    setSavedSnapshot(snapshot)
    toast('Message discarded')
    leave()
  }

  const askDiscard = () => {
    if (dirty || draftId) setDiscardOpen(true)
    else leave()
  }

  const onDragOver = (event: DragEvent<HTMLDivElement>) => {
    if (!hasFiles(event.dataTransfer)) return
    event.preventDefault()
    event.dataTransfer.dropEffect = 'copy'
    setDragging(true)
  }

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    setDragging(false)
    if (!hasFiles(event.dataTransfer)) return
    event.preventDefault()
    attachments.add(Array.from(event.dataTransfer.files))
  }

  const onPaste = (event: ClipboardEvent<HTMLDivElement>) => {
    const files = Array.from(event.clipboardData?.files ?? [])
    if (!files.length) return // text is pasted into the editor as usual
    event.preventDefault()
    attachments.add(files)
  }

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    // Escape leaves the compose (what was typed is kept as a draft on the way out); a dialog or an open suggestion
    // list takes its own Escape first.
    if (event.key === 'Escape' && !event.defaultPrevented && !(event.target instanceof HTMLElement && event.target.closest('dialog'))) {
      event.preventDefault()
      leave()
      return
    }
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault()
      void send()
    }
  }

  const recipientField = (field: RecipientField, label: string, list: Recipient[], setList: (r: Recipient[]) => void, autoFocus = false) => (
    <RecipientInput
      label={label}
      recipients={list}
      onRecipientsChange={(next) => {
        setList(next)
        setLocalErrors((e) => ({ ...e, [field]: undefined }))
      }}
      text={typed[field]}
      onTextChange={(text) => setTyped((t) => ({ ...t, [field]: text }))}
      error={localErrors[field] ?? fieldError(field)}
      autoFocus={autoFocus}
    />
  )

  const busy = sending || saveDraft.isPending || schedule.isPending || deleteDraft.isPending

  return (
    <div
      className={`relative flex min-h-0 flex-1 flex-col overflow-y-auto ${dragging ? 'bg-brand-50 outline-2 outline-dashed outline-brand-600' : ''}`}
      onKeyDown={onKeyDown}
      onDragOver={onDragOver}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false)
      }}
      onDrop={onDrop}
      onPaste={onPaste}
      data-testid="compose-dropzone"
    >
      {dragging && (
        <p className="pointer-events-none absolute inset-x-0 top-2 z-10 text-center text-sm font-medium text-brand-700" aria-hidden="true">
          Drop files to attach them
        </p>
      )}
      <div className="mx-auto flex w-full max-w-3xl flex-col gap-4 p-4">
        <FromPicker
          account={account}
          locked={mode.kind === 'reply' || mode.kind === 'forward' ? mode.original.account.address : null}
          onChange={changeFrom}
        />
        {recipientField('to', 'To', to, setTo, !isReply)}
        {(!showCc || (!showBcc && !isReply && !isForward)) && (
          <div className="flex gap-2">
            {!showCc && (
              <Button size="sm" variant="ghost" onClick={() => setShowCc(true)}>
                Add Cc
              </Button>
            )}
            {!showBcc && !isReply && !isForward && (
              <Button size="sm" variant="ghost" onClick={() => setShowBcc(true)}>
                Add Bcc
              </Button>
            )}
          </div>
        )}
        {showCc && recipientField('cc', 'Cc', cc, setCc)}
        {showBcc && !isReply && !isForward && recipientField('bcc', 'Bcc', bcc, setBcc)}
        <TextField
          label="Subject"
          value={subject}
          onChange={(e) => setSubject(e.target.value)}
          readOnly={subjectLocked}
          hint={subjectLocked ? 'The subject follows the original message.' : undefined}
          error={fieldError('subject')}
        />
        <RichTextEditor
          autoFocus={mode.kind === 'reply'}
          initialHtml={initial.html}
          onChange={setBody}
          onReady={(ready) => {
            setBody(ready)
            setSavedSnapshot(snapshotFor({ to, cc, bcc }, typed, ready.html))
          }}
          error={fieldError('text_body') ?? fieldError('html_body')}
        />
        {(mode.kind === 'reply' || mode.kind === 'forward') && (
          <section aria-labelledby={`${ids}-quote`} className="rounded-md border border-slate-200 bg-slate-50 p-3 text-sm text-slate-700">
            <h2 id={`${ids}-quote`} className="font-medium">
              {mode.kind === 'reply' ? quoteHeader(mode.original) : 'Forwarded message'}
            </h2>
            <p className="mb-2 text-xs text-slate-600">Added below your text when sent.</p>
            <blockquote className="max-h-48 overflow-y-auto whitespace-pre-wrap border-l-2 border-slate-300 pl-3">{mode.original.text_body}</blockquote>
          </section>
        )}
        {mode.kind === 'forward' && mode.original.attachments.length > 0 && (
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" checked={includeAttachments} onChange={(e) => setIncludeAttachments(e.target.checked)} />
            Include the original attachments ({mode.original.attachments.length})
          </label>
        )}
        <AttachmentPanel attachments={attachments} error={fieldError('attachment_ids') ?? fieldError('attachments')} />
        <ErrorMessage error={generalError} />
        <div className="flex flex-wrap items-center gap-2 border-t border-slate-200 pt-3">
          <Button variant="primary" busy={sending} disabled={busy} onClick={() => void send()} aria-keyshortcuts="Control+Enter Meta+Enter">
            Send
          </Button>
          <Button onClick={openSchedule} disabled={busy}>
            Schedule send
          </Button>
          <Button onClick={() => void save()} busy={saveDraft.isPending} disabled={busy}>
            Save draft
          </Button>
          <Button variant="ghost" onClick={askDiscard} disabled={busy} className="ml-auto">
            Discard
          </Button>
          <span className="w-full text-xs text-slate-600" role="status" aria-live="polite">
            {autosaveState === 'saving'
              ? 'Saving draft…'
              : autosaveState === 'failed'
                ? 'Draft not saved: the server could not be reached. It will be tried again as you type.'
                : dirty
                  ? 'Unsaved changes'
                  : draftId
                    ? 'Draft saved'
                    : ''}
          </span>
        </div>
      </div>
      <ScheduleDialog
        open={scheduleOpen}
        title="Schedule send"
        submitLabel="Schedule"
        busy={schedule.isPending}
        error={schedule.error}
        onSubmit={(choice) => void submitSchedule(choice)}
        onClose={() => setScheduleOpen(false)}
      />
      <Dialog
        open={discardOpen}
        title="Discard this message?"
        onClose={() => setDiscardOpen(false)}
        footer={
          <>
            <Button onClick={() => setDiscardOpen(false)}>Keep editing</Button>
            <Button variant="danger" busy={deleteDraft.isPending} onClick={() => void discard()}>
              Discard message
            </Button>
          </>
        }
      >
        <p className="text-sm text-slate-700">{draftId ? 'The saved draft will be deleted too.' : 'What you wrote will be lost.'}</p>
      </Dialog>
    </div>
  )
}
