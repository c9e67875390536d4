// What the unit tests of rendering share: a content hash for each image of production.
export const imageHashes = {
  web: '0123456789abcdef',
  db: 'db00000000000000',
  cache: 'ca00000000000000',
  statsd: '5a00000000000000',
  graphite: '9a00000000000000',
  proxy: 'b000000000000000',
};
