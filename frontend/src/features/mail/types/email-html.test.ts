// The sanitizer removes scripts and handlers, holds back remote images until allowed, and opens links safely.
import { describe, expect, it } from 'vitest'
import { emailDocument, sanitizeEmailHtml } from './email-html'

const DIRTY = `
  <p>Hello <b>there</b></p>
  <script>alert(1)</script>
  <img src="x" onerror="alert(2)">
  <img src="https://tracker.example.com/pixel.gif" srcset="https://tracker.example.com/p2.gif 2x" alt="pixel">
  <img src="data:image/png;base64,AAAA" alt="inline">
  <table background="http://evil.example.com/bg.png"><tr><td style="background-image: url('https://x.example.com/a.png'); color: red">cell</td></tr></table>
  <a href="https://example.com/page" onclick="steal()">link</a>
`

describe('sanitizeEmailHtml', () => {
  it('removes scripts and event handlers', () => {
    const { html } = sanitizeEmailHtml(DIRTY)
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/onerror|onclick|alert\(/i)
    expect(html).toContain('<b>there</b>')
  })

  it('blocks and counts remote images but keeps data: images', () => {
    const { html, blockedImages } = sanitizeEmailHtml(DIRTY)
    expect(html).not.toContain('tracker.example.com')
    expect(html).not.toContain('evil.example.com')
    expect(html).not.toContain('x.example.com')
    expect(html).toContain('data:image/png;base64,AAAA')
    expect(html).toContain('color: red')
    // the pixel (src + srcset counted once), the table background and the CSS url()
    expect(blockedImages).toBe(3)
  })

  it('keeps remote images when allowed', () => {
    const { html, blockedImages } = sanitizeEmailHtml(DIRTY, { allowRemoteImages: true })
    expect(html).toContain('https://tracker.example.com/pixel.gif')
    expect(blockedImages).toBe(0)
    expect(html).not.toMatch(/<script/i)
  })

  it('strips remote url() from <style> blocks', () => {
    const { html, blockedImages } = sanitizeEmailHtml('<style>body{background:url(https://t.example.com/b.png)}</style><p>x</p>')
    expect(html).not.toContain('t.example.com')
    expect(blockedImages).toBe(1)
  })

  it('opens links in a new tab without an opener', () => {
    const container = document.createElement('div')
    container.innerHTML = sanitizeEmailHtml(DIRTY).html
    const link = container.querySelector('a')
    expect(link?.getAttribute('target')).toBe('_blank')
    expect(link?.getAttribute('rel')).toBe('noopener noreferrer')
  })

  it('wraps the body in a document whose CSP only admits remote images when allowed', () => {
    expect(emailDocument('<p>x</p>')).toContain("img-src data: cid: ;")
    expect(emailDocument('<p>x</p>', { allowRemoteImages: true })).toContain('img-src data: cid: https: http:;')
    expect(emailDocument('<p>x</p>')).toContain("default-src 'none'")
  })
})
