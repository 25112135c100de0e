#!/usr/bin/env node
// Runs the compiled server (dist/, built by `npm ci` through the `prepare` script, or `npm run build`): no
// TypeScript loader at run time. `npm run dev` runs the sources directly instead.
import { existsSync } from 'node:fs'

const main = new URL('../dist/main.js', import.meta.url)
if (!existsSync(main)) {
  process.stderr.write(
    'pulumi-backend: dist/ is missing; build it with `npm run build` (npm ci does it too)\n',
  )
  process.exit(1)
}
await import(main.href)
