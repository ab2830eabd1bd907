// Who a reply goes to, worked out in the browser so the form can show (and let the person change) the recipients
// before it is held for the undo window: the same rules as the server's reply (application/use_cases/mail/
// reply_to_email.py, reply_addressing): Reply-To over From, our own message answered goes to its recipients again,
// reply-all adds everyone else on To and Cc, each address once and never our own.
import type { components } from '@/api/schema'
import { recipientFromAddress, type Recipient } from './recipients'

type Message = components['schemas']['entrypoints__http__mail_schemas__MessageOut']
type Address = components['schemas']['AddressOut']

export interface ReplyRecipients {
  to: Recipient[]
  cc: Recipient[]
}

export function replyRecipients(original: Message, own: string | null, all: boolean): ReplyRecipients {
  const me = (own ?? '').toLowerCase()
  let primary: Address[] = original.reply_to.length ? original.reply_to : original.from ? [original.from] : []
  if (original.from && me && original.from.address.toLowerCase() === me) primary = original.to
  const seen = new Set<string>()
  const once = (list: Address[]) =>
    list.filter((a) => {
      const key = a.address.toLowerCase()
      if (seen.has(key) || key === me) return false
      seen.add(key)
      return true
    })
  const to = once(primary)
  const cc = all ? once([...original.to, ...original.cc]) : []
  return { to: to.map(recipientFromAddress), cc: cc.map(recipientFromAddress) }
}
