// GET /emails/{id}/attachments/{aid}: fetched with the session's token (a plain link would not carry it), saved via an object URL.
import { useMutation } from '@tanstack/react-query'
import { api } from '@/api/client'
import { errorFromResponse } from '@/lib/api-error'
import { useActiveAccountId } from '@/lib/active-account'

export interface AttachmentRef {
  messageId: string
  attachmentId: string
  filename: string
}

export async function fetchAttachment(accountId: string | null, { messageId, attachmentId }: AttachmentRef): Promise<Blob> {
  const { data, error, response } = await api.GET('/api/v1/emails/{message_id}/attachments/{attachment_id}', {
    params: { path: { message_id: messageId, attachment_id: attachmentId }, query: { account: accountId ?? undefined } },
    parseAs: 'blob',
  })
  if (error !== undefined || !response.ok || !data) throw errorFromResponse(response.status, error)
  return data as Blob
}

/** Hand the bytes to the browser as a download with the attachment's own file name. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = filename || 'attachment'
  link.rel = 'noopener'
  document.body.append(link)
  link.click()
  link.remove()
  // Revoke later: some browsers start reading the URL only after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 30_000)
}

export function useDownloadAttachment() {
  const accountId = useActiveAccountId()
  return useMutation({
    mutationFn: async (ref: AttachmentRef) => saveBlob(await fetchAttachment(accountId, ref), ref.filename),
  })
}
