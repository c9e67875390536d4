// The wrapper module that builds the Pulumi CLI from the Go module proxy.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { wrapperGoMod, wrapperReplaces } from '../../toolchain/pulumi-engine.ts';
import { pulumiVersion } from '../../stacks/engine.ts';

const pkgGoMod = `module github.com/pulumi/pulumi/pkg/v3

go 1.26.6

replace github.com/pulumi/pulumi/sdk/v3 => ../sdk

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e

replace (
	github.com/a/b => github.com/c/d v1.2.3
	// a comment
	github.com/e/f v1.0.0 => ./local
)

require (
	cloud.google.com/go/storage v1.64.0
)
`;

describe('pulumi wrapper module', () => {
  it("repeats pkg/v3's replace lines except local paths", () => {
    assert.deepEqual(wrapperReplaces(pkgGoMod), [
      'github.com/a/b => github.com/c/d v1.2.3',
      'github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e',
    ]);
  });

  it('requires pkg/v3 and sdk/v3 at the pinned version', () => {
    const goMod = wrapperGoMod(['x => y v1.0.0']);
    assert.match(goMod, new RegExp(`github.com/pulumi/pulumi/pkg/v3 v${pulumiVersion}`));
    assert.match(goMod, new RegExp(`github.com/pulumi/pulumi/sdk/v3 v${pulumiVersion}`));
    assert.match(goMod, /^replace x => y v1.0.0$/m);
  });
});
