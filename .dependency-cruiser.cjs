// Which room of the project may import which: imports point one way, from the
// command down to the mechanisms (cli -> domains -> stacks -> roles, lib at the
// bottom; site and ops apart). `bin/test` runs this check; each folder's
// README.md says the same in words.
const rooms = ['cli', 'chat', 'hosts', 'ops', 'onboard', 'try', 'deploy', 'data', 'toolchain', 'stacks', 'roles', 'lib', 'site'];
/** Each room and the rooms it may import besides itself. */
const mayImport = {
  cli: ['chat', 'hosts', 'onboard', 'try', 'deploy', 'data', 'toolchain', 'stacks', 'roles', 'lib', 'site'],
  chat: ['deploy', 'lib'],
  hosts: ['toolchain', 'stacks', 'roles', 'lib'],
  ops: ['deploy', 'stacks', 'roles', 'lib', 'site'],
  onboard: ['lib', 'site'],
  try: ['toolchain', 'stacks', 'roles', 'lib'],
  deploy: ['toolchain', 'stacks', 'roles', 'lib', 'site'],
  data: ['stacks', 'roles', 'lib'],
  toolchain: ['stacks', 'lib'],
  stacks: ['roles', 'lib'],
  roles: [],
  lib: [],
  site: [],
};
const folders = (names) => `^(${names.join('|')})/`;

module.exports = {
  forbidden: [
    ...rooms.map((room) => ({
      name: `${room}-imports-only-below`,
      severity: 'error',
      comment: `${room}/ may import ${mayImport[room].length ? mayImport[room].join(', ') : 'nothing of the project'} besides itself`,
      from: { path: `^${room}/` },
      to: { path: folders(rooms.filter((other) => other !== room && !mayImport[room].includes(other))) },
    })),
    {
      name: 'no-circles',
      severity: 'error',
      comment: 'files that import each other in a circle',
      from: { pathNot: '^(test|bench)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
