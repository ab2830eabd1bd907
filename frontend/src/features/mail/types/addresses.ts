// How people in a message are shown: name when known, else the address.
import type { components } from '@/api/schema'

type Address = components['schemas']['AddressOut']

export function senderOf(message: { from: Address | null }): string {
  return message.from?.name || message.from?.address || '(unknown sender)'
}

export function formatAddress(address: Address): string {
  return address.name ? `${address.name} <${address.address}>` : address.address
}

export function formatAddresses(addresses: readonly Address[]): string {
  return addresses.map(formatAddress).join(', ')
}
