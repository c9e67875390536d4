// murmur3's 32-bit finaliser, shared by the generator's random numbers and the
// leak check's Bloom filter.

/** A bijection on 32-bit integers in which every input bit moves every output bit. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
