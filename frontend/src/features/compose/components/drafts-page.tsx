// /drafts: saved drafts with edit, send and delete (after confirming), a page at a time.
import { useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { toast } from 'sonner'
import type { components } from '@/api/schema'
import { Button } from '@/components/button'
import { Dialog } from '@/components/dialog'
import { EmptyState } from '@/components/empty-state'
import { ErrorMessage } from '@/components/error-message'
import { shortDate, fullDate } from '@/components/format-date'
import { Loading } from '@/components/loading'
import { PageHeader } from '@/components/page-header'
import { useActiveAccountId } from '@/lib/active-account'
import { useDeleteDraft } from '../api/delete-draft'
import { draftsQueryOptions } from '../api/list-drafts'
import { useSendDraft } from '../api/send-draft'

type Draft = components['schemas']['DraftOut']

function recipientsOf(draft: Draft): string {
  const people = [...draft.message.to, ...draft.message.cc]
  return people.map((p) => p.name || p.address).join(', ') || '(no recipients)'
}

function subjectOf(draft: Draft): string {
  return draft.message.subject || '(no subject)'
}

export function DraftsPage() {
  const account = useActiveAccountId()
  const drafts = useInfiniteQuery(draftsQueryOptions(account))
  const deleteDraft = useDeleteDraft()
  const sendDraft = useSendDraft()
  const [confirming, setConfirming] = useState<Draft | null>(null)
  const [rowError, setRowError] = useState<{ id: string; error: unknown } | null>(null)
  const items = drafts.data?.pages.flatMap((page) => page.data) ?? []

  const confirmDelete = () => {
    if (!confirming) return
    const draft = confirming
    deleteDraft.mutate(
      { draftId: draft.id, account },
      {
        onSuccess: () => {
          setConfirming(null)
          toast('Draft deleted')
        },
      },
    )
  }

  const send = (draft: Draft) => {
    setRowError(null)
    sendDraft.mutate(
      { draftId: draft.id, account },
      {
        onSuccess: () => toast.success('Message sent'),
        onError: (error) => setRowError({ id: draft.id, error }),
      },
    )
  }

  let content
  if (drafts.isPending) content = <Loading label="Loading drafts…" />
  else if (items.length === 0 && drafts.isError) content = <ErrorMessage error={drafts.error} className="m-4" />
  else if (items.length === 0)
    content = (
      <EmptyState title="No drafts">
        Drafts you save while writing appear here. <Link to="/compose" className="text-brand-700 underline">Write a message</Link>
      </EmptyState>
    )
  else
    content = (
      <>
        <ul aria-label="Drafts" className="divide-y divide-slate-200">
          {items.map((draft) => (
            <li key={draft.id} className="flex flex-col gap-2 px-4 py-3 sm:flex-row sm:items-center">
              <div className="min-w-0 flex-1">
                <p className="truncate text-sm text-slate-700">To: {recipientsOf(draft)}</p>
                <p className="truncate font-medium text-slate-900">{subjectOf(draft)}</p>
                {draft.message.snippet && <p className="truncate text-sm text-slate-600">{draft.message.snippet}</p>}
                {rowError?.id === draft.id && <ErrorMessage error={rowError.error} className="mt-2" />}
              </div>
              <time dateTime={draft.message.date} title={fullDate(draft.message.date)} className="shrink-0 text-sm text-slate-600">
                {shortDate(draft.message.date)}
              </time>
              <div className="flex shrink-0 gap-2">
                <Link
                  to={`/compose?draft=${encodeURIComponent(draft.id)}`}
                  aria-label={`Edit draft: ${subjectOf(draft)}`}
                  className="rounded-md border border-slate-300 bg-white px-2.5 py-1 text-sm font-medium text-slate-800 hover:bg-slate-50"
                >
                  Edit
                </Link>
                <Button
                  size="sm"
                  aria-label={`Send draft: ${subjectOf(draft)}`}
                  busy={sendDraft.isPending && sendDraft.variables?.draftId === draft.id}
                  onClick={() => send(draft)}
                >
                  Send
                </Button>
                <Button
                  size="sm"
                  variant="ghost"
                  aria-label={`Delete draft: ${subjectOf(draft)}`}
                  onClick={() => {
                    deleteDraft.reset()
                    setConfirming(draft)
                  }}
                >
                  Delete
                </Button>
              </div>
            </li>
          ))}
        </ul>
        {drafts.hasNextPage && (
          <div className="flex justify-center p-4">
            <Button onClick={() => void drafts.fetchNextPage()} busy={drafts.isFetchingNextPage}>
              Load more drafts
            </Button>
          </div>
        )}
        {drafts.isError && <ErrorMessage error={drafts.error} className="m-4" />}
      </>
    )

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <PageHeader title="Drafts">
        <Link to="/compose" className="rounded-md bg-brand-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-brand-700">
          New message
        </Link>
      </PageHeader>
      <div className="min-h-0 flex-1 overflow-y-auto">{content}</div>
      <Dialog
        open={confirming !== null}
        title="Delete this draft?"
        onClose={() => setConfirming(null)}
        footer={
          <>
            <Button onClick={() => setConfirming(null)}>Cancel</Button>
            <Button variant="danger" busy={deleteDraft.isPending} onClick={confirmDelete}>
              Delete draft
            </Button>
          </>
        }
      >
        <p className="text-sm text-slate-700">“{confirming ? subjectOf(confirming) : ''}” will be deleted. This cannot be undone.</p>
        <ErrorMessage error={deleteDraft.error} className="mt-2" />
      </Dialog>
    </div>
  )
}
