// The attachments of one message being written: add files (each uploads at once, with progress), cancel or remove.
import { useCallback, useEffect, useRef, useState } from 'react'
import { messageOf } from '@/lib/api-error'
import { deleteAttachment } from '../api/delete-attachment'
import { uploadAttachment, type UploadedAttachment } from '../api/upload-attachment'
import { attachmentProblem, type ComposeAttachment, type ScanVerdict } from '../lib/attachments'

export interface AttachmentsApi {
  list: ComposeAttachment[]
  /** Why the last files could not be added (budget, count), or null. */
  problem: string | null
  add: (files: File[]) => void
  /** Stop an upload in progress, or take a finished one off the message (and delete it on the server). */
  remove: (key: string) => void
  /** Ids of the finished uploads, in order (what the API's `attachment_ids` takes). */
  ids: string[]
  uploading: boolean
}

function fromUploaded(key: string, uploaded: UploadedAttachment): ComposeAttachment {
  return {
    key,
    filename: uploaded.filename,
    size: uploaded.size,
    state: 'ready',
    sent: uploaded.size,
    id: uploaded.id,
    verdict: uploaded.verdict as ScanVerdict,
    contentType: uploaded.content_type,
  }
}

export function useAttachments(initial: ComposeAttachment[] = []): AttachmentsApi {
  const [list, setList] = useState<ComposeAttachment[]>(initial)
  const [problem, setProblem] = useState<string | null>(null)
  const cancels = useRef(new Map<string, () => void>())
  const listRef = useRef(list)
  useEffect(() => {
    listRef.current = list
  }, [list])

  useEffect(() => {
    const running = cancels.current
    return () => {
      for (const cancel of running.values()) cancel() // leaving compose stops what is still uploading
    }
  }, [])

  const update = (key: string, change: Partial<ComposeAttachment>) =>
    setList((current) => current.map((a) => (a.key === key ? { ...a, ...change } : a)))

  const add = useCallback((files: File[]) => {
    if (!files.length) return
    const found = attachmentProblem(listRef.current, files)
    setProblem(found)
    if (found) return
    const entries = files.map((file) => ({ file, key: crypto.randomUUID() }))
    setList((current) => [
      ...current,
      ...entries.map(({ file, key }) => ({ key, filename: file.name || 'pasted file', size: file.size, state: 'uploading' as const, sent: 0 })),
    ])
    for (const { file, key } of entries) {
      // The progress events count the whole multipart body: show the share of it, in the file's own bytes.
      const handle = uploadAttachment(file, file.name || 'pasted file', (sent, total) =>
        update(key, { sent: total ? Math.round((file.size * sent) / total) : 0 }),
      )
      cancels.current.set(key, handle.cancel)
      handle.done
        .then((uploaded) => setList((current) => current.map((a) => (a.key === key ? fromUploaded(key, uploaded) : a))))
        .catch((error: unknown) => {
          if ((error as { code?: string }).code === 'aborted') return
          update(key, { state: 'failed', error: messageOf(error) })
        })
        .finally(() => cancels.current.delete(key))
    }
  }, [])

  const remove = useCallback((key: string) => {
    const item = listRef.current.find((a) => a.key === key)
    cancels.current.get(key)?.()
    setList((current) => current.filter((a) => a.key !== key))
    setProblem(null)
    // A finished upload that no draft keeps is deleted now; a failure here only means it expires in 24 h.
    if (item?.id && item.state === 'ready') void deleteAttachment(item.id).catch(() => undefined)
  }, [])

  return {
    list,
    problem,
    add,
    remove,
    ids: list.filter((a) => a.state === 'ready' && a.id).map((a) => a.id as string),
    uploading: list.some((a) => a.state === 'uploading'),
  }
}
