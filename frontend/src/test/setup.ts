// Vitest setup: DOM matchers and a clean DOM between tests.
import '@testing-library/jest-dom/vitest'
import { cleanup } from '@testing-library/react'
import { afterEach } from 'vitest'

afterEach(() => cleanup())

// The API client uses same-origin paths ("/api/v1/…"); Node's Request (unlike a browser's) cannot parse a relative
// URL, so resolve it against the test page's location as the browser would.
const NodeRequest = globalThis.Request
globalThis.Request = class extends NodeRequest {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === 'string' && input.startsWith('/') ? new URL(input, window.location.href) : input, init)
  }
} as typeof Request

// jsdom has <dialog> without showModal/close: give it the open/close behaviour the Dialog component relies on.
if (typeof HTMLDialogElement !== 'undefined' && typeof HTMLDialogElement.prototype.showModal !== 'function') {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.setAttribute('open', '')
  }
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    if (!this.hasAttribute('open')) return
    this.removeAttribute('open')
    this.dispatchEvent(new Event('close'))
  }
}

// jsdom has no pointer capture; sonner's toasts take it when their buttons (Undo) are pressed. (Node-environment test
// files such as scripts/*.test.mjs have no Element at all.)
if (typeof Element !== 'undefined') {
  Element.prototype.setPointerCapture ??= () => undefined
  Element.prototype.releasePointerCapture ??= () => undefined
  Element.prototype.hasPointerCapture ??= () => false
}
