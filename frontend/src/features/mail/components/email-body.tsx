// A message body: sanitized HTML in a locked-down iframe with remote images held back, or the plain text.
import { useMemo, useState } from 'react'
import { Button } from '@/components/button'
import { emailDocument, sanitizeEmailHtml } from '../types/email-html'

export interface EmailBodyProps {
  html: string | null
  text: string
  /** Names the frame for screen readers, e.g. "Message from Ann". */
  title: string
}

export function EmailBody({ html, text, title }: EmailBodyProps) {
  const [allowRemoteImages, setAllowRemoteImages] = useState(false)
  const sanitized = useMemo(() => (html ? sanitizeEmailHtml(html, { allowRemoteImages }) : null), [html, allowRemoteImages])
  if (!sanitized) {
    return <div className="whitespace-pre-wrap break-words font-sans text-sm text-slate-900">{text || '(This message has no text.)'}</div>
  }
  return (
    <div className="flex flex-col gap-2">
      {sanitized.blockedImages > 0 && !allowRemoteImages && (
        <div role="status" className="flex flex-wrap items-center gap-2 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          <span>Remote images are hidden to protect your privacy.</span>
          <Button size="sm" onClick={() => setAllowRemoteImages(true)}>
            Show images
          </Button>
        </div>
      )}
      {/*
        Sandbox without allow-scripts and without allow-same-origin: the mail runs no code and cannot touch this app.
        That also means the parent cannot read the document's height to size the frame, and measuring a copy rendered
        in a hidden div would put untrusted markup and CSS into our own page, defeating the isolation. So the frame
        has a fixed, comfortable height, scrolls inside, and the reader can drag it taller (resize-y on the wrapper).
      */}
      <div className="h-[60vh] min-h-48 resize-y overflow-hidden rounded-md border border-slate-200">
        <iframe
          title={title}
          sandbox="allow-popups allow-popups-to-escape-sandbox"
          srcDoc={emailDocument(sanitized.html, { allowRemoteImages })}
          referrerPolicy="no-referrer"
          className="size-full bg-white"
        />
      </div>
    </div>
  )
}
