// Reply and forward prefill: subject prefixes and the quoted original as the server will send it.
import type { components } from '@/api/schema'

type Message = components['schemas']['entrypoints__http__mail_schemas__MessageOut']

/** "Re: Hello" (without doubling an existing "Re:"), matching what the server sends. */
export function prefixedSubject(subject: string, prefix: 'Re:' | 'Fwd:'): string {
  return subject.toLowerCase().startsWith(prefix.toLowerCase()) ? subject : `${prefix} ${subject}`.trim()
}

function sender(message: Message): string {
  if (!message.from) return 'someone'
  return message.from.name ? `${message.from.name} <${message.from.address}>` : message.from.address
}

export function quoteHeader(message: Message): string {
  const when = new Date(message.date).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
  return `On ${when}, ${sender(message)} wrote:`
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/**
 * The quote for the HTML part: the server appends the quote to the text part only, so the HTML part gets the
 * same words here (escaped text, never the original's HTML).
 */
export function quotedHtml(message: Message): string {
  const lines = message.text_body.split('\n').map(escapeHtml).join('<br>')
  return `<p>${escapeHtml(quoteHeader(message))}</p><blockquote>${lines}</blockquote>`
}

/** A plain-text body as editor HTML: one paragraph per blank-line-separated block, line breaks kept. */
export function textToHtml(text: string): string {
  if (!text.trim()) return ''
  return text
    .split(/\n{2,}/)
    .map((block) => `<p>${block.split('\n').map(escapeHtml).join('<br>')}</p>`)
    .join('')
}

/** The quote under a reply's text part, as the server's own reply adds it (reply_to_email.quoted). */
export function quotedText(message: Message): string {
  const lines = message.text_body
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n')
  return `\n\n${quoteHeader(message)}\n${lines}\n`
}

function forwardHeader(message: Message): string[] {
  const date = new Date(message.date).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
  return [
    '---------- Forwarded message ---------',
    `From: ${sender(message)}`,
    `Date: ${date}`,
    `Subject: ${message.subject}`,
    `To: ${message.to.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ')}`,
  ]
}

/** The forwarded message under a forward's text part, as the server's own forward adds it. */
export function forwardedText(message: Message): string {
  return `\n\n${forwardHeader(message).join('\n')}\n\n${message.text_body}`
}

/** The same for the HTML part (escaped text, never the original's HTML). */
export function forwardedHtml(message: Message): string {
  const lines = message.text_body.split('\n').map(escapeHtml).join('<br>')
  return `<p>${forwardHeader(message).map(escapeHtml).join('<br>')}</p><p>${lines}</p>`
}
