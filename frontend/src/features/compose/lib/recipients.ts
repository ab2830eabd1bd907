// Recipient tokens: what a person typed or picked, split into addresses and checked before sending.

export interface Recipient {
  /** What is sent: "Name <address>" or a bare address. */
  value: string
  /** The address part, used for de-duplication and validation. */
  address: string
  /** How the chip reads: the name when there is one, else the address. */
  label: string
  valid: boolean
}

// Deliberately simple (one @, a dot in the domain, no spaces): the server does the strict check.
const ADDRESS = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+\.[^\s@<>(),;:"[\]]+$/

export function isValidAddress(address: string): boolean {
  return ADDRESS.test(address)
}

/** One typed entry: "alice@example.com", "Alice <alice@example.com>" or "\"Smith, A\" <a@x.org>". */
export function parseRecipient(raw: string): Recipient {
  const text = raw.trim()
  const angled = /^(.*)<([^<>]*)>\s*$/.exec(text)
  if (angled) {
    const name = (angled[1] ?? '').trim().replace(/^"(.*)"$/, '$1')
    const address = (angled[2] ?? '').trim()
    return { value: name ? `${name} <${address}>` : address, address, label: name || address, valid: isValidAddress(address) }
  }
  return { value: text, address: text, label: text, valid: isValidAddress(text) }
}

export function recipientFromSuggestion(name: string, address: string): Recipient {
  const label = name.trim()
  // A name with a comma or quote would break "Name <address>" parsing on the server: quote it.
  const shownName = /[",;<>@]/.test(label) ? `"${label.replace(/"/g, '')}"` : label
  return { value: label ? `${shownName} <${address}>` : address, address, label: label || address, valid: isValidAddress(address) }
}

/** Pasted or typed text with commas, semicolons or new lines becomes several entries. */
export function splitRecipients(text: string): Recipient[] {
  return text
    .split(/[,;\n]+/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map(parseRecipient)
}

export function recipientFromAddress(address: { name: string; address: string }): Recipient {
  return recipientFromSuggestion(address.name, address.address)
}
