// GET /emails/{id}/attachments/{attachment_id}: a draft's saved attachment, fetched so a re-save keeps it.
import { authFetch } from '@/api/client'
import { errorFromResponse } from '@/lib/api-error'

/** The attachment's bytes (the draft update replaces attachments, so they are uploaded and attached again). */
export async function downloadAttachmentBlob(downloadUrl: string, account: string | null): Promise<Blob> {
  const url = new URL(downloadUrl, window.location.origin)
  // The link names the message only; the mailbox it lives in is the active account.
  if (account && !url.searchParams.has('account')) url.searchParams.set('account', account)
  const response = await authFetch(new Request(url))
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => null)
    throw errorFromResponse(response.status, body)
  }
  return new Blob([await response.arrayBuffer()], { type: response.headers.get('Content-Type') ?? '' })
}
