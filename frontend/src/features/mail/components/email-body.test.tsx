import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { getSession, signIn } from '@/lib/auth-session'
import { envelope, mockApi } from '@/test/fetch-mock'
import { testUser } from '@/test/fixtures'
import { renderWithApp } from '@/test/render'
import { EmailBody } from './email-body'

afterEach(() => vi.unstubAllGlobals())

const HTML = '<p>Sale!</p><img src="https://cdn.shop.example/banner.png" alt="banner">'
const frame = () => screen.getByTitle('Message from Shop') as HTMLIFrameElement

describe('EmailBody remote images', () => {
  it('shows them at once for a sender on the allow-list, and says why', async () => {
    signIn({ access_token: 't', expires_in: 3600, user: testUser({ image_senders: ['news@shop.example'] }) })
    mockApi({})
    renderWithApp(<EmailBody html={HTML} text="Sale!" title="Message from Shop" senderAddress="News@Shop.example" />)
    expect(await screen.findByText(/you always show images from news@shop.example/)).toBeInTheDocument()
    expect(screen.queryByText('Remote images are hidden to protect your privacy.')).not.toBeInTheDocument()
    expect(frame().getAttribute('srcdoc')).toContain('https://cdn.shop.example/banner.png')
  })

  it('hides them for anyone else, and "Always show images from" adds the sender on the server', async () => {
    signIn({ access_token: 't', expires_in: 3600, user: testUser({ image_senders: [] }) })
    const seen = mockApi({
      'POST /api/v1/auth/me/image-senders': ({ body }) =>
        envelope({ ...testUser({ image_senders: [(body as { address: string }).address] }), scopes: [], auth: 'session' }),
    })
    renderWithApp(<EmailBody html={HTML} text="Sale!" title="Message from Shop" senderAddress="news@shop.example" />)
    expect(await screen.findByText('Remote images are hidden to protect your privacy.')).toBeInTheDocument()
    expect(frame().getAttribute('srcdoc')).not.toContain('https://cdn.shop.example/banner.png')
    await userEvent.click(screen.getByRole('button', { name: 'Always show images from news@shop.example' }))
    await waitFor(() => expect(frame().getAttribute('srcdoc')).toContain('https://cdn.shop.example/banner.png'))
    expect(seen.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([{ address: 'news@shop.example' }])
    expect(getSession().user?.image_senders).toEqual(['news@shop.example'])
  })

  it('shows them once without remembering the sender', async () => {
    signIn({ access_token: 't', expires_in: 3600, user: testUser({ image_senders: [] }) })
    const seen = mockApi({})
    renderWithApp(<EmailBody html={HTML} text="Sale!" title="Message from Shop" senderAddress="news@shop.example" />)
    await userEvent.click(await screen.findByRole('button', { name: 'Show images' }))
    expect(frame().getAttribute('srcdoc')).toContain('https://cdn.shop.example/banner.png')
    expect(seen).toHaveLength(0)
    expect(getSession().user?.image_senders).toEqual([])
  })
})
