// HMAC-SHA256 (RFC 2104, FIPS 180-4) for the scrubber's many short messages.
// The key's inner and outer pad blocks are compressed once, so each value costs
// only its own block(s) and one outer block, with no allocation but the result:
// about three times faster here than node:crypto, whose per-call overhead
// outweighs hashing a 40-byte message. The same bytes as createHmac (tested).
import { hash } from 'node:crypto';

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const initial = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const block = 64;

/** One SHA-256 compression of `bytes[offset, offset + 64)` into `state`; `w` is scratch of 64 words. */
function compress(state: Int32Array, bytes: Uint8Array, offset: number, w: Int32Array): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    w[i] =
      ((bytes[j] as number) << 24) |
      ((bytes[j + 1] as number) << 16) |
      ((bytes[j + 2] as number) << 8) |
      (bytes[j + 3] as number);
  }
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15] as number;
    const b = w[i - 2] as number;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0;
  }
  let a = state[0] as number,
    b = state[1] as number,
    c = state[2] as number,
    d = state[3] as number;
  let e = state[4] as number,
    f = state[5] as number,
    g = state[6] as number,
    h = state[7] as number;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + (K[i] as number) + (w[i] as number)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/** The state after compressing one 64-byte pad block. */
function padState(padded: Uint8Array, xor: number, w: Int32Array): Int32Array {
  const state = initial.slice();
  compress(
    state,
    padded.map((byte) => byte ^ xor),
    0,
    w,
  );
  return state;
}

/**
 * HMAC-SHA256 under `key` of `domain \0 attempt \0 value` (UTF-8): 32 bytes in a
 * new Buffer. Not reentrant, which JavaScript's one thread makes safe.
 */
export function hmacSha256(key: Buffer): (domain: string, value: string, attempt: number) => Buffer {
  const padded = new Uint8Array(block);
  padded.set(key.length > block ? hash('sha256', key, 'buffer') : key);
  const w = new Int32Array(64);
  const innerStart = padState(padded, 0x36, w);
  const outerStart = padState(padded, 0x5c, w);
  const state = new Int32Array(8);
  const outerBlock = new Uint8Array(block);
  let message = new Uint8Array(1024);
  const encoder = new TextEncoder();

  return (domain, value, attempt) => {
    const text = `${domain}\0${attempt}\0${value}`;
    // UTF-8 takes at most 3 bytes per UTF-16 unit; padding adds at most 72.
    if (message.length < text.length * 3 + 2 * block) message = new Uint8Array(text.length * 3 + 2 * block);
    const length = encoder.encodeInto(text, message).written;
    // Padding: 0x80, zeros, the bit length of pad block + message as a 64-bit big-endian number.
    const total = Math.ceil((length + 9) / block) * block;
    message[length] = 0x80;
    message.fill(0, length + 1, total);
    const bits = (block + length) * 8;
    message[total - 4] = bits >>> 24;
    message[total - 3] = bits >>> 16;
    message[total - 2] = bits >>> 8;
    message[total - 1] = bits;
    message[total - 5] = Math.floor(bits / 2 ** 32);
    state.set(innerStart);
    for (let offset = 0; offset < total; offset += block) compress(state, message, offset, w);
    // Outer: the 32-byte inner digest, padded, after the outer pad block (bit length 96 * 8).
    for (let i = 0; i < 8; i++) {
      const word = state[i] as number;
      outerBlock[i * 4] = word >>> 24;
      outerBlock[i * 4 + 1] = word >>> 16;
      outerBlock[i * 4 + 2] = word >>> 8;
      outerBlock[i * 4 + 3] = word;
    }
    outerBlock[32] = 0x80;
    outerBlock[62] = (96 * 8) >>> 8;
    outerBlock[63] = (96 * 8) & 0xff;
    state.set(outerStart);
    compress(state, outerBlock, 0, w);
    const out = Buffer.allocUnsafe(32);
    for (let i = 0; i < 8; i++) out.writeInt32BE(state[i] as number, i * 4);
    return out;
  };
}
