import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { RichTextEditor, type EditorContentValue } from './rich-text-editor'

function emptyRects(): DOMRectList {
  return Object.assign([], { item: () => null }) as unknown as DOMRectList
}
beforeAll(() => {
  // jsdom has no layout: ProseMirror measures the selection with Range rectangles.
  Range.prototype.getClientRects ??= emptyRects
  Range.prototype.getBoundingClientRect ??= () => new DOMRect()
  document.elementFromPoint ??= () => null
})

describe('RichTextEditor', () => {
  it('formats with labelled toggle buttons that report their state, and reports html and text', async () => {
    const changes: EditorContentValue[] = []
    const user = userEvent.setup()
    render(<RichTextEditor initialHtml="" onChange={(v) => changes.push(v)} />)
    const editor = screen.getByRole('textbox', { name: 'Message body' })
    const bold = screen.getByRole('button', { name: 'Bold' })
    expect(bold).toHaveAttribute('aria-pressed', 'false')
    for (const name of ['Italic', 'Bulleted list', 'Numbered list', 'Link']) {
      expect(screen.getByRole('button', { name })).toHaveAttribute('aria-pressed', 'false')
    }
    expect(screen.getByRole('button', { name: 'Undo' })).toBeDisabled()

    await user.click(editor)
    await user.click(bold)
    await waitFor(() => expect(bold).toHaveAttribute('aria-pressed', 'true'))
    await user.click(editor)
    await user.keyboard('Loud')
    await waitFor(() => expect(changes.at(-1)?.html).toBe('<p><strong>Loud</strong></p>'))
    expect(changes.at(-1)?.text).toBe('Loud')
    expect(screen.getByRole('button', { name: 'Undo' })).toBeEnabled()

    await user.click(screen.getByRole('button', { name: 'Bulleted list' }))
    await waitFor(() => expect(changes.at(-1)?.html).toMatch(/^<ul><li><p><strong>Loud<\/strong><\/p><\/li><\/ul>/))
    expect(screen.getByRole('button', { name: 'Bulleted list' })).toHaveAttribute('aria-pressed', 'true')
  })

  it('adds a link through a labelled dialog', async () => {
    const changes: EditorContentValue[] = []
    const user = userEvent.setup()
    render(<RichTextEditor initialHtml="" onChange={(v) => changes.push(v)} />)
    await user.click(screen.getByRole('textbox', { name: 'Message body' }))
    await user.click(screen.getByRole('button', { name: 'Link' }))
    const dialog = screen.getByRole('dialog', { name: 'Add link' })
    await user.type(screen.getByRole('textbox', { name: 'Link address' }), 'example.com')
    await user.click(screen.getByRole('button', { name: 'Add link' }))
    await waitFor(() => expect(changes.at(-1)?.html).toContain('href="https://example.com"'))
    expect(dialog).not.toHaveAttribute('open')
  })

  it('with autoFocus, the body has the caret as soon as it is on screen, and keeps what is typed in order', async () => {
    const changes: EditorContentValue[] = []
    let ready = false
    render(<RichTextEditor initialHtml="" autoFocus onChange={(v) => changes.push(v)} onReady={() => (ready = true)} />)
    // No waiting: keys the browser delivers right after this render must land in the body, not on the page.
    const editor = screen.getByRole('textbox', { name: 'Message body' })
    expect(editor.contains(document.activeElement)).toBe(true)
    const user = userEvent.setup()
    await user.keyboard('Booked')
    // Past TipTap's creation timer (it calls onReady) and the animation frame after it, in which its own autofocus
    // used to move the caret back to the start.
    await waitFor(() => expect(ready).toBe(true))
    await new Promise((resolve) => requestAnimationFrame(resolve))
    await user.keyboard(' my flight.')
    await waitFor(() => expect(changes.at(-1)?.text).toBe('Booked my flight.'))
  })

  it('without autoFocus, leaves the focus where it was', () => {
    render(<RichTextEditor initialHtml="" onChange={() => undefined} />)
    expect(screen.getByRole('textbox', { name: 'Message body' }).contains(document.activeElement)).toBe(false)
  })
})
