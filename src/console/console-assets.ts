// The console's only stylesheet and script, served from /console/assets (CSP: no inline code). Kept as modules so
// the TypeScript build ships them without a separate front-end build step.

export const CONSOLE_CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --bg: #fff; --line: #d0d7de; --accent: #0550ae; --ok: #116329;
  --bad: #a40e26; --warn: #7d4e00; --run: #0550ae; font-family: system-ui, sans-serif; color: var(--fg); background: var(--bg); }
body { margin: 0; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, textarea:focus { outline: 3px solid #0969da; outline-offset: 1px; }
.top { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .5rem 1rem; border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; text-decoration: none; color: var(--fg); }
.signout { margin-left: auto; }
main { padding: 1rem; max-width: 80rem; margin: 0 auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num { text-align: right; }
.scroll { overflow-x: auto; }
.muted { color: var(--muted); }
.badge { padding: 0 .4rem; border-radius: .6rem; border: 1px solid currentColor; font-size: .85em; white-space: nowrap; }
.succeeded { color: var(--ok); } .failed, .cancelled { color: var(--bad); } .running, .not-started { color: var(--run); }
.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-bottom: .5rem; }
.filters label { display: flex; flex-direction: column; font-size: .9em; }
.tabs { display: flex; gap: 1rem; margin-bottom: 1rem; }
.tabs [aria-current] { font-weight: 700; }
.card, .lock { border: 1px solid var(--line); border-radius: .4rem; padding: .75rem; margin: .75rem 0; }
.lock { border-color: var(--run); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dd { margin: 0; overflow-wrap: anywhere; }
.tree ul { list-style: none; padding-left: 1.2rem; margin: 0; }
.tree > ul { padding-left: 0; }
.type { color: var(--muted); font-size: .9em; }
pre { overflow-x: auto; background: #f6f8fa; padding: .5rem; }
.log .line { white-space: pre; }
label[for] { display: block; margin-top: .5rem; }
.log .create { color: var(--ok); } .log .update, .log .warning { color: var(--warn); }
.log .delete, .log .error { color: var(--bad); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
input.token { width: 100%; max-width: 40rem; font-family: monospace; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; } .log .replace { color: #8250df; } .log .heading { color: #8250df; }
button { font: inherit; padding: .3rem .8rem; }
button.danger { color: #fff; background: var(--bad); border: 0; }
.error { color: var(--bad); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
input.token { width: 100%; max-width: 40rem; font-family: monospace; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
textarea, input[type=password] { width: 100%; max-width: 40rem; font: inherit; }
svg.graph rect { width: 190px; height: 20px; rx: 4px; fill: #f6f8fa; stroke: #0550ae; }
svg.graph text { font-size: 11px; fill: #1b1f24; }
svg.graph a:focus rect, svg.graph a:hover rect { fill: #ddf4ff; }
svg.graph .edges { stroke: #8c959f; fill: none; }
@media (max-width: 40rem) { main { padding: .5rem; } th, td { padding: .25rem; } }
`

export const CONSOLE_JS = `'use strict'
// Live update log: appends the lines the server streams while the update runs (server-sent events).
document.addEventListener('DOMContentLoaded', function () {
  var log = document.getElementById('update-log')
  if (!log || !log.dataset.stream) return
  var source = new EventSource(log.dataset.stream)
  source.addEventListener('lines', function (message) {
    JSON.parse(message.data).forEach(function (line) {
      var span = document.createElement('span')
      span.className = 'line ' + line.tone
      span.textContent = line.text
      log.appendChild(span)
      log.appendChild(document.createTextNode('\\n'))
    })
  })
  source.addEventListener('done', function (message) {
    var status = document.getElementById('update-status')
    if (status) { status.textContent = message.data; status.className = 'badge ' + message.data.replace(' ', '-') }
    source.close()
  })
})
`
