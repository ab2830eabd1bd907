import { deviceName } from './device'

describe('a session device in words', () => {
  it('names the browser and operating system', () => {
    expect(deviceName('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36')).toBe(
      'Chrome 131 on macOS Catalina',
    )
    expect(deviceName('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0')).toMatch(/^Firefox 133 on Windows/)
    expect(deviceName('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1')).toBe(
      'Safari 17 on iOS 17.5 (phone)',
    )
  })

  it('says so when there is nothing to read', () => {
    expect(deviceName(null)).toBe('Unknown device')
    expect(deviceName('')).toBe('Unknown device')
  })
})
