// A message's attachments with their sizes; downloads go through the authenticated API (see download-attachment).
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import { useDownloadAttachment } from '../api/download-attachment'
import type { Attachment } from '../api/get-thread'
import { formatFileSize } from '../types/file-size'
import { PaperclipIcon } from './paperclip-icon'

export function AttachmentList({ messageId, attachments }: { messageId: string; attachments: Attachment[] }) {
  const download = useDownloadAttachment()
  if (attachments.length === 0) return null
  return (
    <div className="flex flex-col gap-2">
      <ul aria-label="Attachments" className="flex flex-wrap gap-2">
        {attachments.map((attachment) => {
          const name = attachment.filename || 'attachment'
          const busy = download.isPending && download.variables.attachmentId === attachment.id
          return (
            <li key={attachment.id} className="flex items-center gap-2 rounded-md border border-slate-200 px-3 py-1.5 text-sm">
              <PaperclipIcon />
              <span className="max-w-56 truncate text-slate-900">{name}</span>
              <span className="text-xs text-slate-600">{formatFileSize(attachment.size)}</span>
              <Button
                size="sm"
                variant="ghost"
                busy={busy}
                aria-label={`Download ${name}`}
                onClick={() => download.mutate({ messageId, attachmentId: attachment.id, filename: name })}
              >
                Download
              </Button>
            </li>
          )
        })}
      </ul>
      {download.error && <ErrorMessage error={download.error} />}
    </div>
  )
}
