import type { FastifyReply } from 'fastify'

// No inline script or style anywhere: everything comes from /console/assets; nothing may frame a console page
// (clickjacking of the cancel and revoke buttons); no page address (stack names) leaks to other sites
// ('same-origin', not 'no-referrer': under no-referrer Chromium posts forms with `Origin: null`, which the CSRF
// origin check must refuse).
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

export function setConsoleHeaders(reply: FastifyReply): void {
  void reply
    .header('content-security-policy', CSP)
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'same-origin')
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-store')
}
