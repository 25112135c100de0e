// `npm run openapi`: regenerates docs/openapi.json from the routes (run it after adding or changing a route; the
// OpenAPI drift test fails until the committed copy matches).
import { writeFileSync } from 'node:fs'
import { formatOpenApiDocument, generateOpenApiDocument } from '../src/http/openapi-document.js'

const target = new URL('../docs/openapi.json', import.meta.url)
writeFileSync(target, formatOpenApiDocument(await generateOpenApiDocument()))
process.stdout.write(`wrote ${target.pathname}\n`)
