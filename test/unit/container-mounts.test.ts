// A mount nested inside a read-only bind needs its mount point made on the host.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nestedMountPoints } from '../../stacks/providers/container.ts';

describe('nestedMountPoints', () => {
  it('maps a tmpfs inside a bound folder to the host folder to make', () => {
    const volumes = [
      { containerPath: '/srv/site', hostPath: '/work/checkout/site', readOnly: true },
      { containerPath: '/srv/site/node_modules', tmpfs: true, readOnly: true },
      { containerPath: '/srv/flags', volumeName: 'dev-ada-web-flags', readOnly: false },
    ];
    assert.deepEqual(nestedMountPoints(volumes), ['/work/checkout/site/node_modules']);
  });

  it('needs nothing for mounts side by side, or a path that only starts alike', () => {
    assert.deepEqual(
      nestedMountPoints([
        { containerPath: '/srv/site', hostPath: '/h/site', readOnly: true },
        { containerPath: '/srv/site-cache', tmpfs: true, readOnly: false },
        { containerPath: '/data', volumeName: 'v', readOnly: false },
      ]),
      [],
    );
  });
});
