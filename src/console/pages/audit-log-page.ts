import type { StoredAuditEvent } from '../../audit/audit-event.js'
import { html, urlPart } from '../html.js'
import { adminTabs } from './admin-tabs.js'
import { layout, type PageFrame, when } from './layout.js'

/** The audit page's filters, as the form sends them (dates are YYYY-MM-DD, UTC days). */
export interface AuditFilters {
  user: string
  event: string
  from: string
  to: string
}

/** One page of the organization's audit log, newest first, with filters, a next-page link and the CSV export. */
export function auditLogPage(
  org: string,
  filters: AuditFilters,
  events: readonly StoredAuditEvent[],
  next: string | undefined,
  user: NonNullable<PageFrame['user']>,
): string {
  const base = `/admin/${urlPart(org)}/audit`
  const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''))
  const withToken = new URLSearchParams(params)
  if (next) withToken.set('continuationToken', next)
  const query = params.toString()
  return layout({
    title: `Audit log of ${org}`,
    user,
    body: html`<h1>Audit log of ${org}</h1>
${adminTabs(org, 'audit')}
<form method="get" action="${base}" class="filters" role="search">
  <label>User <input name="user" value="${filters.user}"></label>
  <label>Event <input name="event" value="${filters.event}" placeholder="e.g. createStack"></label>
  <label>From (UTC day) <input name="from" type="date" value="${filters.from}"></label>
  <label>Until (UTC day, inclusive) <input name="to" type="date" value="${filters.to}"></label>
  <button type="submit">Filter</button>
</form>
<p><a href="${base}/export${query ? `?${query}` : ''}" download>Export as CSV</a> (these filters, up to 10,000 events)</p>
<div class="scroll"><table><thead><tr><th scope="col">Time</th><th scope="col">User</th><th scope="col">Event</th>
<th scope="col">Resource</th><th scope="col">Result</th><th scope="col">Source IP</th></tr></thead>
<tbody>${events.map(
      (
        e,
      ) => html`<tr><td>${when(e.timeMs)}</td><td>${e.actor}${e.tokenName ? html` <span class="muted">(${e.tokenName})</span>` : ''}</td>
<td>${e.action}</td><td>${e.resource}</td><td><span class="badge ${e.result === 'success' ? 'succeeded' : 'failed'}">${e.result}${e.httpStatus ? ` ${e.httpStatus}` : ''}</span></td><td>${e.sourceIp}</td></tr>`,
    )}</tbody></table></div>
${events.length === 0 ? html`<p class="muted">No events match.</p>` : ''}
${next ? html`<p><a href="${base}?${withToken.toString()}" rel="next">Older events</a></p>` : ''}`,
  })
}
