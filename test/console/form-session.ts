// A signed-in console session over plain HTTP (fetch, no browser): sign in with a token, then GET pages and POST
// forms with the session cookie and the page's CSRF token, redirects left unfollowed.
import assert from 'node:assert/strict'

export class FormSession {
  private constructor(
    readonly baseUrl: string,
    private readonly cookie: string,
  ) {}

  static async signIn(baseUrl: string, token: string): Promise<FormSession> {
    const response = await fetch(`${baseUrl}/signin`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    })
    assert.equal(response.status, 303, 'signed in')
    return new FormSession(baseUrl, (response.headers.get('set-cookie') ?? '').split(';')[0] as string)
  }

  get(path: string): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { redirect: 'manual', headers: { cookie: this.cookie } })
  }

  async text(path: string): Promise<string> {
    return (await this.get(path)).text()
  }

  post(path: string, form: Record<string, string>): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    })
  }

  /** The CSRF token of the forms on a page (any page of the session carries the same one). */
  async csrf(path = '/tokens'): Promise<string> {
    const match = /name="csrf" value="([^"]+)"/.exec(await this.text(path))
    assert.ok(match, `no CSRF field on ${path}`)
    return match[1] as string
  }
}
