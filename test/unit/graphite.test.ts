// The pure part of graphs: friendly metric names, Graphite times, render URLs,
// file names, PNG and error recognition, and the dashboard's page.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkRange,
  deployTarget,
  expandMetric,
  graphFileName,
  graphiteErrorLine,
  graphiteTime,
  isPng,
  renderUrl,
} from '../../stacks/graphite.ts';
import { UserError } from '../../lib/errors.ts';
import { dashboardPage, fixedStacks } from '../../ops/dashboard.ts';

const targets = (metric: string) => expandMetric(metric).map((t) => t.target);

describe('expandMetric', () => {
  it('expands the friendly names into the site metrics statsd writes', () => {
    assert.deepEqual(targets('requests'), ['alias(stats.counters.shop.requests.rate,"requests/s")']);
    assert.deepEqual(targets('errors'), ['alias(stats.counters.shop.errors.rate,"errors/s")']);
    assert.deepEqual(targets('latency.p50'), ['alias(stats.timers.shop.latency.median,"latency p50 (ms)")']);
    assert.deepEqual(targets('latency.p99'), ['alias(stats.timers.shop.latency.upper_99,"latency p99 (ms)")']);
    assert.deepEqual(targets('latency'), [...targets('latency.p50'), ...targets('latency.p99')]);
  });

  it('draws a flag per variant, named flag.variant', () => {
    assert.deepEqual(targets('flags.new_banner'), [
      'aliasSub(aliasSub(stats.counters.shop.flags.new_banner.*.rate,"^stats.counters.shop.flags.",""),".rate$","")',
    ]);
    assert.match(targets('flags')[0]!, /stats\.counters\.shop\.flags\.\*\.\*\.rate/);
    assert.ok(!targets('flags')[0]!.includes('\\'), 'no backslashes: Graphite drops them');
  });

  it('passes Graphite paths and functions through as they are', () => {
    assert.deepEqual(targets('stats.counters.shop.cache.hit.count'), ['stats.counters.shop.cache.hit.count']);
    assert.deepEqual(targets('sumSeries(stats.counters.shop.status.*.rate)'), [
      'sumSeries(stats.counters.shop.status.*.rate)',
    ]);
    assert.deepEqual(targets('carbon.*'), ['carbon.*']);
  });

  it('refuses a bare word that is no friendly name, and empty or control characters', () => {
    assert.throws(
      () => expandMetric('requets'),
      (e: unknown) =>
        e instanceof UserError && /no metric called "requets"/.test(e.message) && /requests/.test(e.fix ?? ''),
    );
    assert.throws(() => expandMetric('  '), UserError);
    assert.throws(() => expandMetric('stats.x\nfoo'), /control character/);
  });
});

describe('graphiteTime and checkRange', () => {
  const now = 1_800_000_000;
  it('reads relative, epoch and calendar times', () => {
    assert.equal(graphiteTime('now', now), now);
    assert.equal(graphiteTime('-1h', now), now - 3600);
    assert.equal(graphiteTime('-30min', now), now - 1800);
    assert.equal(graphiteTime('-2d', now), now - 2 * 86_400);
    assert.equal(graphiteTime('-1w', now), now - 7 * 86_400);
    assert.equal(graphiteTime('-90s', now), now - 90);
    assert.equal(graphiteTime('1700000000', now), 1_700_000_000);
    assert.equal(graphiteTime('20250102', now), Date.UTC(2025, 0, 2) / 1000);
    assert.equal(graphiteTime('13:45_20250102', now), Date.UTC(2025, 0, 2, 13, 45) / 1000);
  });

  it('knows what Graphite would not', () => {
    for (const bad of ['yesterday', '-1m', '1h', '-h', '', '20250231', '25:00_20250102', '-1 h', 'now-1h'])
      assert.equal(graphiteTime(bad, now), undefined, bad);
  });

  it('says which value is wrong, and that from must come before until', () => {
    assert.throws(() => checkRange('yesterday', 'now', now), /--from "yesterday" is not a time Graphite understands/);
    assert.throws(() => checkRange('-1h', 'soon', now), /--until "soon"/);
    assert.throws(() => checkRange('-1h', '-2h', now), /--from -1h is not before --until -2h/);
    assert.doesNotThrow(() => checkRange('-1h', 'now', now));
  });
});

describe('renderUrl', () => {
  it("asks for the targets, then the deploys drawn as lines, without graphite-web's cache", () => {
    const url = new URL(
      renderUrl('http://127.0.0.1:25821/', {
        targets: targets('requests'),
        from: '-15min',
        title: 'dev-gus: requests',
      }),
    );
    assert.equal(url.origin + url.pathname, 'http://127.0.0.1:25821/render');
    assert.deepEqual(url.searchParams.getAll('target'), [...targets('requests'), deployTarget]);
    assert.match(deployTarget, /drawAsInfinite\(events\("deploy"\)\)/);
    assert.equal(url.searchParams.get('from'), '-15min');
    assert.equal(url.searchParams.get('until'), 'now');
    assert.equal(url.searchParams.get('format'), 'png');
    assert.equal(url.searchParams.get('width'), '800');
    assert.equal(url.searchParams.get('title'), 'dev-gus: requests');
    assert.equal(url.searchParams.get('noCache'), 'true');
  });

  it('leaves the deploys out when asked, and picture settings out of JSON', () => {
    const url = new URL(renderUrl('http://127.0.0.1:18101/', { targets: ['a.b'], deploys: false, format: 'json' }));
    assert.deepEqual(url.searchParams.getAll('target'), ['a.b']);
    assert.equal(url.searchParams.get('format'), 'json');
    assert.equal(url.searchParams.get('width'), null);
  });
});

describe('graph files and answers', () => {
  it('names a file after the stack, the metrics and the time', () => {
    assert.equal(
      graphFileName('dev-ada', ['requests', 'latency.p99'], new Date('2025-01-02T03:04:05.678Z')),
      'dev-ada-requests+latency.p99-20250102T030405Z.png',
    );
    assert.equal(
      graphFileName('prod', ['sumSeries(stats.*.x)'], new Date('2025-01-02T03:04:05Z')),
      'prod-sumSeries_stats._.x-20250102T030405Z.png',
    );
  });

  it('tells a PNG from an error page', () => {
    assert.equal(isPng(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])), true);
    assert.equal(isPng(Buffer.from('<html><body>Traceback</body></html>')), false);
    assert.equal(isPng(Buffer.alloc(0)), false);
  });

  it('finds the line of a Graphite error that says what went wrong', () => {
    const page =
      '<html><body><h1>Server Error</h1><pre>Traceback (most recent call last):\n  File "x.py", line 1\n    f()\nKeyError: \'nosuchFunction\'</pre></body></html>';
    assert.equal(graphiteErrorLine(page), "KeyError: 'nosuchFunction'");
  });
});

describe('dashboardPage', () => {
  it('draws the standard graphs of princess and prod from their Graphite, each with the deploys', () => {
    assert.deepEqual(fixedStacks(), [
      { name: 'princess', graphiteUrl: 'http://127.0.0.1:18001/' },
      { name: 'prod', graphiteUrl: 'http://127.0.0.1:18101/' },
    ]);
    const html = dashboardPage();
    const sources = [...html.matchAll(/data-src="([^"]+)"/g)].map((m) => new URL(m[1]!.replace(/&amp;/g, '&')));
    assert.equal(sources.length, 8);
    for (const url of sources) assert.ok(url.searchParams.getAll('target').includes(deployTarget), url.toString());
    assert.deepEqual([...new Set(sources.map((u) => u.host))], ['127.0.0.1:18001', '127.0.0.1:18101']);
    const drawn = sources.flatMap((u) => u.searchParams.getAll('target')).join(' ');
    for (const metric of ['requests.rate', 'errors.rate', 'latency.median', 'latency.upper_99', 'flags.*.*.rate'])
      assert.ok(drawn.includes(metric), metric);
    assert.doesNotMatch(html, /data-src="[^"]*&(?!amp;)/, 'ampersands in attributes are escaped');
  });
});
