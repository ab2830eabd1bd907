import { render, screen } from '@testing-library/react'
import { createMemoryRouter, RouterProvider } from 'react-router'
import { RouteError } from './not-found-page'

function renderFailedChunk() {
  const router = createMemoryRouter(
    [
      {
        path: '/',
        errorElement: <RouteError />,
        loader: () => {
          throw new TypeError('Failed to fetch dynamically imported module: /assets/thread-page.js')
        },
        element: <p>never</p>,
        hydrateFallbackElement: <p>loading</p>,
      },
    ],
    { initialEntries: ['/'] },
  )
  render(<RouterProvider router={router} />)
}

describe('a screen whose code could not be loaded', () => {
  it('says the server could not be reached when it does not answer, not that there is a new version', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
    renderFailedChunk()
    expect(await screen.findByRole('heading', { name: 'The server could not be reached' }, { timeout: 10_000 })).toBeInTheDocument()
    expect(screen.queryByText(/new version/)).not.toBeInTheDocument()
  })

  it('offers the new version when the server answers', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{}', { status: 200 })))
    renderFailedChunk()
    expect(await screen.findByRole('heading', { name: 'A new version is available' }, { timeout: 10_000 })).toBeInTheDocument()
  })
})
