// A message body: sanitized HTML in a locked-down iframe with remote images held back (unless the sender is on the
// person's "always show images" list, kept on the server), or the plain text.
import { useMemo, useState } from 'react'
import { Link } from 'react-router'
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import { useSession } from '@/lib/use-session'
import { useAllowSenderImages } from '../api/allow-sender-images'
import { emailDocument, sanitizeEmailHtml } from '../types/email-html'

export interface EmailBodyProps {
  html: string | null
  text: string
  /** Names the frame for screen readers, e.g. "Message from Ann". */
  title: string
  /** The sender's address: images are shown at once when it is on the allow-list, and it can be added to it. */
  senderAddress?: string | null | undefined
}

/** Whether the markup points at remote images at all (a cheap look, only to say why they are shown). */
function mentionsRemoteImages(html: string | null): boolean {
  return !!html && /(?:src|srcset|background|poster)\s*=\s*["']?\s*(?:https?:)?\/\/|url\(\s*["']?\s*(?:https?:)?\/\//i.test(html)
}

export function EmailBody({ html, text, title, senderAddress }: EmailBodyProps) {
  const session = useSession()
  const sender = senderAddress?.trim().toLowerCase() || null
  const trusted = !!sender && (session.user?.image_senders ?? []).includes(sender)
  const [shownOnce, setShownOnce] = useState(false)
  const allow = useAllowSenderImages()
  const allowRemoteImages = trusted || shownOnce
  const sanitized = useMemo(() => (html ? sanitizeEmailHtml(html, { allowRemoteImages }) : null), [html, allowRemoteImages])
  if (!sanitized) {
    return <div className="whitespace-pre-wrap break-words font-sans text-sm text-slate-900">{text || '(This message has no text.)'}</div>
  }
  return (
    <div className="flex flex-col gap-2">
      {sanitized.blockedImages > 0 && !allowRemoteImages && (
        <div role="status" className="flex flex-wrap items-center gap-2 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          <span>Remote images are hidden to protect your privacy.</span>
          <Button size="sm" onClick={() => setShownOnce(true)}>
            Show images
          </Button>
          {sender && (
            <Button size="sm" busy={allow.isPending} onClick={() => allow.mutate(sender)}>
              Always show images from {sender}
            </Button>
          )}
          <ErrorMessage error={allow.error} className="w-full" />
        </div>
      )}
      {trusted && mentionsRemoteImages(html) && (
        <p className="text-xs text-slate-600">
          Images are shown because you always show images from {sender} (
          <Link to="/settings/profile" className="text-brand-700 underline">
            change in Settings
          </Link>
          ).
        </p>
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
