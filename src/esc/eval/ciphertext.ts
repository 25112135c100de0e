// The `fn::secret: {ciphertext: ...}` envelope ESC uses (pulumi/esc eval/crypt.go): base64 of
// "escx" | uint32 version 1 | ciphertext | crc32(IEEE) of everything before, all big-endian.

const MAGIC = 'escx'
const VERSION = 1

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** Unwraps an envelope; the error messages are the ones ESC reports after "invalid ciphertext: ". */
export function decodeCiphertext(encoded: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new Error('illegal base64 data')
  }
  const bin = Buffer.from(encoded, 'base64')
  if (bin.length < 16) throw new Error('EOF')
  if (bin.subarray(0, 4).toString('latin1') !== MAGIC) throw new Error('invalid header')
  if (crc32(bin.subarray(0, bin.length - 4)) !== bin.readUInt32BE(bin.length - 4))
    throw new Error('invalid checksum')
  if (bin.readUInt32BE(4) !== VERSION) throw new Error('unsupported version')
  return new Uint8Array(bin.subarray(8, bin.length - 4))
}

export function encodeCiphertext(ciphertext: Uint8Array): string {
  const head = Buffer.alloc(8)
  head.write(MAGIC, 0, 'latin1')
  head.writeUInt32BE(VERSION, 4)
  const body = Buffer.concat([head, ciphertext])
  const tail = Buffer.alloc(4)
  tail.writeUInt32BE(crc32(body), 0)
  return Buffer.concat([body, tail]).toString('base64')
}
