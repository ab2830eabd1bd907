// Attachments in compose: a file picker, one chip per file with its upload progress, cancel, the scan verdict, and the
// size used against the 25 MB budget. Dropping and pasting files is handled by the whole form (see compose-form).
import { useId, type ChangeEvent } from 'react'
import { Button } from '@/components/button'
import { formatSize, MAX_TOTAL_ATTACHMENT_BYTES, usedBytes, verdictLabel, type ComposeAttachment } from '../lib/attachments'
import type { AttachmentsApi } from '../hooks/use-attachments'

function Chip({ item, onRemove }: { item: ComposeAttachment; onRemove: () => void }) {
  const percent = item.size ? Math.min(100, Math.round((item.sent / item.size) * 100)) : 100
  return (
    <li
      className={`flex flex-col gap-1 rounded-md border px-3 py-1.5 text-sm ${item.state === 'failed' ? 'border-red-300 bg-red-50' : 'border-slate-200'}`}
      data-state={item.state}
      data-verdict={item.verdict}
      aria-label={`Attachment ${item.filename}`}
    >
      <div className="flex items-center justify-between gap-2">
        <span className="min-w-0 truncate">
          {item.filename} <span className="text-slate-600">({formatSize(item.size)})</span>
        </span>
        <Button size="sm" variant="ghost" aria-label={`${item.state === 'uploading' ? 'Cancel upload of' : 'Remove attachment'} ${item.filename}`} onClick={onRemove}>
          {item.state === 'uploading' ? 'Cancel' : 'Remove'}
        </Button>
      </div>
      {item.state === 'uploading' && (
        <div className="flex items-center gap-2">
          <progress className="h-1.5 w-full accent-brand-600" max={100} value={percent} aria-label={`Uploading ${item.filename}`} />
          <span className="w-20 text-right text-xs text-slate-600">{percent < 100 ? `${percent}%` : 'Scanning…'}</span>
        </div>
      )}
      {item.state === 'ready' && (
        <span className={`text-xs ${item.verdict === 'clean' ? 'text-emerald-700' : 'text-amber-700'}`}>{verdictLabel(item.verdict)}</span>
      )}
      {item.state === 'failed' && (
        <span role="alert" className="text-xs text-red-700">
          {item.error}
        </span>
      )}
    </li>
  )
}

export function AttachmentPanel({ attachments, error }: { attachments: AttachmentsApi; error?: string }) {
  const ids = useId()
  const used = usedBytes(attachments.list)
  const onPick = (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.currentTarget
    const files = Array.from(input.files ?? [])
    input.value = '' // the same file can be picked again after removing it
    attachments.add(files)
  }
  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center gap-3">
        <label
          htmlFor={`${ids}-files`}
          className="inline-flex cursor-pointer items-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50 focus-within:ring-2 focus-within:ring-brand-100"
        >
          Attach files
          <input
            id={`${ids}-files`}
            type="file"
            multiple
            className="sr-only"
            onChange={onPick}
            aria-describedby={attachments.problem ? `${ids}-files-error` : `${ids}-budget`}
          />
        </label>
        <span className="text-xs text-slate-600">or drop or paste files here</span>
        <span id={`${ids}-budget`} className="ml-auto text-xs text-slate-600" data-testid="attachment-budget">
          {formatSize(used)} of {formatSize(MAX_TOTAL_ATTACHMENT_BYTES)}
        </span>
      </div>
      {attachments.list.length > 0 && (
        <meter className="h-1 w-full" min={0} max={MAX_TOTAL_ATTACHMENT_BYTES} value={used} aria-label="Attachment size used" />
      )}
      {attachments.problem && (
        <p id={`${ids}-files-error`} role="alert" className="text-sm text-red-700">
          {attachments.problem}
        </p>
      )}
      {error && <p className="text-sm text-red-700">{error}</p>}
      {attachments.list.length > 0 && (
        <ul aria-label="Attachments" className="flex flex-col gap-1">
          {attachments.list.map((item) => (
            <Chip key={item.key} item={item} onRemove={() => attachments.remove(item.key)} />
          ))}
        </ul>
      )}
    </div>
  )
}
