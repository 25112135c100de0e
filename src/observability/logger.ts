import { type Logger, pino } from 'pino'

export type LogFormat = 'json' | 'text'

/** The one root logger, handed to Fastify. Credentials and secret values are redacted wherever they appear. */
export function createLogger(format: LogFormat, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const redact = {
    paths: [
      'req.headers.authorization',
      'headers.authorization',
      '*.plaintext',
      '*.plaintexts',
      '*.token',
      'token',
      'masterKey',
    ],
    censor: '[redacted]',
  }
  if (format === 'text') {
    return pino({
      level,
      redact,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: false } },
    })
  }
  return pino({ level, redact }, pino.destination({ dest: 2, sync: false }))
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
