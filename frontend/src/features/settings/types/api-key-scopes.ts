// The scopes an API key can carry (domain/identity.py Scope), with what each allows in plain words.
export const API_KEY_SCOPES = [
  { value: 'mail:read', label: 'Read mail', description: 'Search and read messages, labels and threads' },
  { value: 'mail:send', label: 'Send mail', description: 'Send and schedule messages' },
  { value: 'mail:modify', label: 'Change mail', description: 'Labels (read, archive, trash) and drafts' },
  { value: 'agent', label: 'Agent', description: 'Talk to the mail agent' },
  { value: 'admin', label: 'Administration', description: 'Admin endpoints (administrators only)' },
] as const

export const EXPIRY_CHOICES = [
  { value: '', label: 'Never' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
] as const
