// Turns a message's HTML into a self-contained, script-free document for a sandboxed iframe, with remote images held back.
import createDOMPurify from 'dompurify'

export interface SanitizedEmail {
  /** The cleaned body markup (no document wrapper). */
  html: string
  /** How many remote images (img src/srcset, background attributes, CSS url()) were removed. */
  blockedImages: number
}

const REMOTE = /^\s*(https?:)?\/\//i
const REMOTE_CSS_URL = /url\(\s*(['"]?)\s*(https?:)?\/\/[^)]*\)/gi

function stripRemoteCssUrls(css: string): { css: string; removed: number } {
  let removed = 0
  const cleaned = css.replace(REMOTE_CSS_URL, () => {
    removed += 1
    return 'none'
  })
  return { css: cleaned, removed }
}

/**
 * Sanitize with DOMPurify (no scripts, no event handlers) and, unless `allowRemoteImages`, drop every reference to a
 * remote image: those are tracking pixels as often as pictures, and loading one tells the sender the mail was read.
 * Links get target=_blank and rel=noopener noreferrer so they leave the sandbox in a new tab without an opener.
 */
export function sanitizeEmailHtml(dirty: string, { allowRemoteImages = false }: { allowRemoteImages?: boolean } = {}): SanitizedEmail {
  // A private instance per call: hooks are per instance, so concurrent renders with different settings never mix.
  const purifier = createDOMPurify(window)
  let blockedImages = 0
  purifier.addHook('afterSanitizeAttributes', (node) => {
    if (!(node instanceof Element)) return
    if (node.tagName === 'A' && node.hasAttribute('href')) {
      node.setAttribute('target', '_blank')
      node.setAttribute('rel', 'noopener noreferrer')
    }
    if (allowRemoteImages) return
    // One element counts once, even when both its src and srcset pointed at remote images.
    let blockedHere = false
    for (const attribute of ['src', 'background', 'poster']) {
      const value = node.getAttribute(attribute)
      if (value !== null && REMOTE.test(value)) {
        node.removeAttribute(attribute)
        blockedHere = true
      }
    }
    const srcset = node.getAttribute('srcset')
    if (srcset !== null && /(https?:)?\/\//i.test(srcset)) {
      node.removeAttribute('srcset')
      blockedHere = true
    }
    if (blockedHere) blockedImages += 1
    const style = node.getAttribute('style')
    if (style) {
      const { css, removed } = stripRemoteCssUrls(style)
      if (removed) {
        node.setAttribute('style', css)
        blockedImages += removed
      }
    }
  })
  purifier.addHook('uponSanitizeElement', (node, data) => {
    if (allowRemoteImages || data.tagName !== 'style' || !node.textContent) return
    const { css, removed } = stripRemoteCssUrls(node.textContent)
    if (removed) {
      node.textContent = css
      blockedImages += removed
    }
  })
  const html = purifier.sanitize(dirty, {
    FORBID_TAGS: ['form', 'base', 'meta', 'link'],
    ADD_ATTR: ['target'],
    // Mail often starts with a <style> block; without FORCE_BODY the parser puts it in <head> and it is lost.
    FORCE_BODY: true,
  })
  return { html, blockedImages }
}

/**
 * The iframe's whole document. The CSP is a second lock behind the sanitizer: nothing may load except inline
 * styles and data:/cid: images (plus http(s) images once the reader asked for them).
 */
export function emailDocument(bodyHtml: string, { allowRemoteImages = false }: { allowRemoteImages?: boolean } = {}): string {
  const csp = `default-src 'none'; img-src data: cid: ${allowRemoteImages ? 'https: http:' : ''}; style-src 'unsafe-inline'`
  return [
    '<!doctype html><html><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<base target="_blank">',
    '<style>body{margin:0;padding:12px;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#0f172a;overflow-wrap:anywhere}',
    'img{max-width:100%;height:auto}table{max-width:100%}a{color:#1d4ed8}</style>',
    `</head><body>${bodyHtml}</body></html>`,
  ].join('')
}
