// The message body: a TipTap editor with a small formatting toolbar (bold, italic, lists, link, undo/redo).
import { EditorContent, useEditor, useEditorState, type Editor } from '@tiptap/react'
import StarterKit from '@tiptap/starter-kit'
import { useLayoutEffect, useState, type FormEvent, type ReactNode } from 'react'
import { Button } from '@/components/button'
import { Dialog } from '@/components/dialog'
import { TextField } from '@/components/text-field'

export interface EditorContentValue {
  html: string
  text: string
}

export interface RichTextEditorProps {
  initialHtml: string
  onChange: (value: EditorContentValue) => void
  /** Called once the editor exists, with its content as the editor normalises it (the "unchanged" baseline). */
  onReady?: (value: EditorContentValue) => void
  error?: string | undefined
  /** Put the cursor in the body at once (a reply: `r` from a thread lands in the editor). */
  autoFocus?: boolean
}

function valueOf(editor: Editor): EditorContentValue {
  return { html: editor.isEmpty ? '' : editor.getHTML(), text: editor.getText({ blockSeparator: '\n\n' }) }
}

function ToolbarButton({ label, pressed, disabled, onClick, children }: { label: string; pressed?: boolean; disabled?: boolean; onClick: () => void; children: ReactNode }) {
  return (
    <button
      type="button"
      aria-label={label}
      aria-pressed={pressed}
      disabled={disabled}
      onClick={onClick}
      className={`min-w-8 rounded px-2 py-1 text-sm ${pressed ? 'bg-brand-50 text-brand-700 ring-1 ring-brand-600' : 'text-slate-700 hover:bg-slate-100'} disabled:text-slate-400`}
    >
      <span aria-hidden="true">{children}</span>
    </button>
  )
}

function LinkDialog({ editor, open, onClose }: { editor: Editor; open: boolean; onClose: () => void }) {
  const [href, setHref] = useState('')
  const [error, setError] = useState<string | undefined>()
  const submit = (event: FormEvent) => {
    event.preventDefault()
    const trimmed = href.trim()
    const url = /^[a-z][a-z0-9+.-]*:/i.test(trimmed) ? trimmed : `https://${trimmed}`
    if (!trimmed || !/^(https?|mailto):/i.test(url)) {
      setError('Enter a web address (https://…) or a mailto: link.')
      return
    }
    const chain = editor.chain().focus()
    if (editor.state.selection.empty) {
      chain.insertContent({ type: 'text', text: trimmed, marks: [{ type: 'link', attrs: { href: url } }] }).run()
    } else {
      chain.extendMarkRange('link').setLink({ href: url }).run()
    }
    setHref('')
    setError(undefined)
    onClose()
  }
  return (
    <Dialog open={open} title="Add link" onClose={onClose}>
      <form onSubmit={submit} className="flex flex-col gap-3" noValidate>
        <TextField label="Link address" type="url" value={href} onChange={(e) => setHref(e.target.value)} error={error} placeholder="https://example.com" />
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary">
            Add link
          </Button>
        </div>
      </form>
    </Dialog>
  )
}

export function RichTextEditor({ initialHtml, onChange, onReady, error, autoFocus = false }: RichTextEditorProps) {
  const [linkOpen, setLinkOpen] = useState(false)
  const editor = useEditor({
    extensions: [StarterKit.configure({ link: { openOnClick: false, autolink: true, defaultProtocol: 'https' } })],
    content: initialHtml,
    // Not TipTap's autofocus: it focuses a timer and an animation frame later, so keys typed in between went to the
    // page (a conversation's single-key shortcuts: the `f` of "flight" turned a reply into a forward), and its late
    // focus('start') put the caret back before what had been typed. The layout effect below focuses at mount.
    autofocus: false,
    editorProps: {
      attributes: {
        'aria-label': 'Message body',
        role: 'textbox',
        'aria-multiline': 'true',
        class: 'prose-sm min-h-48 px-3 py-2 text-sm text-slate-900 focus:outline-none [&_ol]:list-decimal [&_ol]:pl-6 [&_ul]:list-disc [&_ul]:pl-6 [&_a]:text-brand-700 [&_a]:underline',
      },
      // Ctrl/Cmd+Enter sends (the form listens): keep TipTap from inserting a line break for it.
      handleKeyDown: (_view, event) => event.key === 'Enter' && (event.ctrlKey || event.metaKey),
    },
    onCreate: ({ editor: created }) => onReady?.(valueOf(created)),
    onUpdate: ({ editor: updated }) => onChange(valueOf(updated)),
  })
  // At mount, in the same task that rendered the form: the caret is in the body (at its start, the state's initial
  // selection) before the browser handles another key. EditorContent attaches the view in its own mount, which runs
  // before this (children's layout effects first).
  useLayoutEffect(() => {
    if (autoFocus && editor && !editor.isDestroyed && editor.view.dom.isConnected) editor.view.focus()
    // Once per editor (its props do not change): a re-render must not pull the caret back from where the person put it.
  }, [autoFocus, editor])
  const state = useEditorState({
    editor,
    selector: ({ editor: e }) => ({
      bold: e.isActive('bold'),
      italic: e.isActive('italic'),
      bulletList: e.isActive('bulletList'),
      orderedList: e.isActive('orderedList'),
      link: e.isActive('link'),
      canUndo: e.can().undo(),
      canRedo: e.can().redo(),
    }),
  })

  return (
    <div className="flex flex-col gap-1">
      <div className={`rounded-md border bg-white ${error ? 'border-red-500' : 'border-slate-300'} focus-within:border-brand-600 focus-within:ring-2 focus-within:ring-brand-100`}>
        <div role="toolbar" aria-label="Formatting" className="flex flex-wrap gap-1 border-b border-slate-200 p-1">
          <ToolbarButton label="Bold" pressed={state.bold} onClick={() => editor.chain().focus().toggleBold().run()}>
            B
          </ToolbarButton>
          <ToolbarButton label="Italic" pressed={state.italic} onClick={() => editor.chain().focus().toggleItalic().run()}>
            I
          </ToolbarButton>
          <ToolbarButton label="Bulleted list" pressed={state.bulletList} onClick={() => editor.chain().focus().toggleBulletList().run()}>
            •≡
          </ToolbarButton>
          <ToolbarButton label="Numbered list" pressed={state.orderedList} onClick={() => editor.chain().focus().toggleOrderedList().run()}>
            1.
          </ToolbarButton>
          <ToolbarButton
            label="Link"
            pressed={state.link}
            onClick={() => (state.link ? editor.chain().focus().extendMarkRange('link').unsetLink().run() : setLinkOpen(true))}
          >
            <svg aria-hidden="true" viewBox="0 0 24 24" className="size-4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
              <path d="M10 13a5 5 0 0 0 7.07 0l3-3a5 5 0 0 0-7.07-7.07l-1.5 1.5" />
              <path d="M14 11a5 5 0 0 0-7.07 0l-3 3a5 5 0 0 0 7.07 7.07l1.5-1.5" />
            </svg>
          </ToolbarButton>
          <ToolbarButton label="Undo" disabled={!state.canUndo} onClick={() => editor.chain().focus().undo().run()}>
            ↶
          </ToolbarButton>
          <ToolbarButton label="Redo" disabled={!state.canRedo} onClick={() => editor.chain().focus().redo().run()}>
            ↷
          </ToolbarButton>
        </div>
        <EditorContent editor={editor} />
      </div>
      {error && <p className="text-sm text-red-700">{error}</p>}
      <LinkDialog editor={editor} open={linkOpen} onClose={() => setLinkOpen(false)} />
    </div>
  )
}
