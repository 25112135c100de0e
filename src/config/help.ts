/**
 * `pulumi-backend -help`: rendered from the option table so it cannot drift from what the loader accepts.
 * It takes no environment on purpose: help shows defaults, never effective values, so it cannot leak a secret.
 */
import { OPTIONS, type OptionSpec } from './option-table.js'

const WIDTH = 100
const INDENT = '        '

export function renderHelp(): string {
  const lines = [
    'Usage: pulumi-backend [flags]',
    '',
    ...wrap('A self-hosted Pulumi Cloud API server. Log in with `pulumi login http://<host>:<port>`.', WIDTH),
    '',
    ...wrap(
      'Every flag can also be set through its environment variable. A flag beats the environment, which beats ' +
        'the default. Flags use Go syntax: -name=value, -name value, --name=value. A boolean flag alone means ' +
        'true (-tls); to turn one off write -name=false. Durations look like 300ms, 1.5h or 2h45m.',
      WIDTH,
    ),
    '',
    'Flags:',
  ]
  for (const option of OPTIONS) {
    lines.push(`  ${signature(option)}`)
    lines.push(...wrap(option.description, WIDTH - INDENT.length).map((l) => INDENT + l))
    lines.push(`${INDENT}env ${option.env}, default ${shownDefault(option)}`)
  }
  lines.push('  -h, -help, --help')
  lines.push(`${INDENT}show this help and exit`)
  return `${lines.join('\n')}\n`
}

function signature(option: OptionSpec): string {
  const secret = option.secret ? ' (secret)' : ''
  switch (option.kind) {
    case 'bool':
      return `-${option.flag}${secret}`
    case 'enum':
      return `-${option.flag} ${option.values.join('|')}${secret}`
    default:
      return `-${option.flag} ${option.kind}${secret}`
  }
}

function shownDefault(option: OptionSpec): string {
  // A secret's default is printed as empty whatever the table says, so adding one with a default cannot leak it.
  if (option.secret) return '""'
  return option.kind === 'string' ? JSON.stringify(option.default) : option.default
}

function wrap(text: string, width: number): string[] {
  const out: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  if (line !== '') out.push(line)
  return out
}
