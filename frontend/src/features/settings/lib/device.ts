// A session's User-Agent in words ("Chrome 131 on macOS"), read by bowser (a maintained parser), not by hand.
import Bowser from 'bowser'

export function deviceName(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown device'
  const parsed = Bowser.parse(userAgent)
  const browser = parsed.browser.name
  const major = parsed.browser.version?.split('.')[0]
  const os = parsed.os.name
  const osVersion = parsed.os.versionName || parsed.os.version?.split('.').slice(0, 2).join('.')
  if (!browser && !os) return userAgent.length > 60 ? `${userAgent.slice(0, 57)}…` : userAgent
  const who = browser ? `${browser}${major ? ` ${major}` : ''}` : 'A program'
  const where = os ? ` on ${os}${osVersion ? ` ${osVersion}` : ''}` : ''
  const kind = parsed.platform.type === 'mobile' ? ' (phone)' : parsed.platform.type === 'tablet' ? ' (tablet)' : ''
  return `${who}${where}${kind}`
}
