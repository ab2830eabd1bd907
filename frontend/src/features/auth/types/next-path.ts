// Where to go after signing in: only a path on this site (a "//host" or absolute URL could send people elsewhere).
export const DEFAULT_AFTER_LOGIN = '/mail/INBOX'

export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return DEFAULT_AFTER_LOGIN
  return next
}
