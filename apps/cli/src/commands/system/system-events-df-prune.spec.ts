import { FakeNetdClient } from '../../testing/fake-netd-client';
import { runNetctl } from '../../testing/run-cli';
import { dfRows } from './df.handler';
import { eventTime, prettyEvent, wireTimestamp } from './events.handler';

// nanosecond times are beyond 2^53, as in dockerd's JSON
const T = Number(1_765_000_000_123_456_789n);
const event = (Type: string, Action: string, ID: string, Attributes: Record<string, string>, timeNano = T) => ({
  Type, Action, Actor: { ID, Attributes }, scope: 'local', time: Math.floor(timeNano / 1e9), timeNano,
});

describe('events', () => {
  it('prints docker\'s line per event: time, type, action, id, sorted attributes', async () => {
    const fake = new FakeNetdClient();
    fake.events_.push(event('container', 'start', 'abc123', { name: 'web', image: 'busybox' }), event('network', 'create', 'n1', {}));
    const r = await runNetctl(['events', '--until', '0s'], fake, { env: { TZ: 'UTC' } });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      `${eventTime(T)} container start abc123 (image=busybox, name=web)`,
      `${eventTime(T)} network create n1`,
      '',
    ]);
  });

  it('sends filters, and since/until resolved against the client clock; formats with templates and json', async () => {
    const fake = new FakeNetdClient();
    fake.events_.push(event('container', 'start', 'abc123', { name: 'web' }), event('container', 'die', 'abc123', { name: 'web' }));
    const r = await runNetctl(['events', '--since', '1700000000', '--until', '1700000001.5', '-f', 'type=container', '--filter', 'event=start', '--filter', 'label=a=b', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'], fake);
    expect(r).toMatchObject({ code: 0, stdout: 'container start web\n' });
    expect(fake.requests.at(-1)).toEqual({ method: 'events', filters: { type: ['container'], event: ['start'], label: ['a=b'] }, body: { since: '1700000000', until: '1700000001.5' } });
    const json = await runNetctl(['system', 'events', '--format', 'json', '--filter', 'event=die'], fake);
    expect(JSON.parse(json.stdout)).toMatchObject({ Type: 'container', Action: 'die', Actor: { ID: 'abc123' } });
  });

  it('refuses a bad --since or filter before asking the daemon', async () => {
    const fake = new FakeNetdClient();
    const r = await runNetctl(['events', '--since', 'yesterday'], fake);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('invalid value for "--since": failed to parse value as time or duration: "yesterday"');
    expect((await runNetctl(['events', '-f', 'type'], fake)).code).toBe(125);
    expect(fake.requests.filter((q) => q.method === 'events')).toEqual([]);
  });

  it('converts durations relative to now and formats times in the local zone', () => {
    // as docker: a duration in whole seconds, a timestamp as typed, a date to the nanosecond
    expect(wireTimestamp('since', '10s', 1_700_000_010_900)).toBe('1700000000');
    expect(wireTimestamp('until', '1700000001.25')).toBe('1700000001.25');
    expect(wireTimestamp('since', '2023-11-14T22:13:20.5Z')).toBe('1700000000.500000000');
    expect(wireTimestamp('until', undefined)).toBeUndefined();
    // dockerd's JSON number is read as Go reads it into an int64: through its decimal text
    expect(eventTime(Number(1_765_022_507_021_820_700n))).toMatch(/\.021820700(Z|[+-]\d\d:\d\d)$/);
    expect(prettyEvent(event('image', 'pull', 'busybox:latest', {}, 0) as never)).toBe('image pull busybox:latest');
  });
});

describe('system df', () => {
  it('prints docker\'s four rows with reclaimable percentages', async () => {
    const fake = new FakeNetdClient();
    fake.addImage('busybox', { size: 4_261_550 });
    fake.addImage('alpine', { size: 7_000_000 });
    await runNetctl(['create', '--name', 'c1', 'busybox'], fake);
    const r = await runNetctl(['system', 'df'], fake);
    expect(r.stdout).toBe(
      'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\n' +
        'Images          2         1         11.26MB   7MB (62%)\n' +
        'Containers      1         0         0B        0B\n' +
        'Local Volumes   0         0         0B        0B\n' +
        'Build Cache     0         0         0B        0B\n',
    );
    expect((await runNetctl(['system', 'df', '--format', '{{.Type}}={{.TotalCount}}'], fake)).stdout).toBe('Images=2\nContainers=1\nLocal Volumes=0\nBuild Cache=0\n');
  });

  it('counts shared bytes of used images as not reclaimable, idle containers and unused volumes as reclaimable', () => {
    const rows = dfRows({
      LayersSize: 1000,
      Images: [{ Size: 600, SharedSize: 100, Containers: 1 }, { Size: 500, SharedSize: 100, Containers: 0 }] as never,
      Containers: [{ State: 'running', SizeRw: 30 }, { State: 'exited', SizeRw: 10 }] as never,
      Volumes: [{ UsageData: { Size: 50, RefCount: 1 } }, { UsageData: { Size: 150, RefCount: 0 } }, { UsageData: { Size: -1, RefCount: 0 } }] as never,
      BuildCache: [],
    });
    expect(rows.map((r) => [r.Type, r.Active, r.Size, r.Reclaimable])).toEqual([
      ['Images', '1', '1kB', '500B (50%)'],
      ['Containers', '1', '40B', '10B (25%)'],
      ['Local Volumes', '1', '200B', '150B (75%)'],
      ['Build Cache', '0', '0B', '0B'],
    ]);
  });
});

describe('prune', () => {
  it('image prune sends dangling=false with -a and prints untagged/deleted lines', async () => {
    const fake = new FakeNetdClient();
    const img = fake.addImage('alpine', { size: 1500 });
    const r = await runNetctl(['image', 'prune', '-a', '-f'], fake);
    expect(fake.requests.at(-1)).toEqual({ method: 'pruneImages', filters: { dangling: ['false'] } });
    expect(r.stdout).toBe(`Deleted Images:\nuntagged: alpine:latest\ndeleted: ${img.id}\n\nTotal reclaimed space: 1.5kB\n`);
    expect((await runNetctl(['image', 'prune', '-f'], fake)).stdout).toBe('Total reclaimed space: 0B\n');
    expect(fake.requests.at(-1)).toEqual({ method: 'pruneImages', filters: {} });
  });

  it('system prune names what it will remove, then prunes containers, networks, volumes and images in order', async () => {
    const fake = new FakeNetdClient();
    const asked = await runNetctl(['system', 'prune', '-a', '--volumes'], fake, { stdin: [''] });
    expect(asked.stdout).toBe(
      'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all anonymous volumes not used by at least one container\n' +
        '  - all images without at least one container associated to them\n\nAre you sure you want to continue? [y/N] ',
    );
    expect(fake.requests.map((q) => q.method)).toEqual([]);
    await runNetctl(['network', 'create', '--label', 'x', 'unused'], fake);
    const r = await runNetctl(['system', 'prune', '-f', '--filter', 'label=x'], fake);
    expect(r.stdout).toBe('Deleted Networks:\nunused\n\nTotal reclaimed space: 0B\n');
    expect(fake.requests.slice(-3).map((q) => [q.method, q.filters])).toEqual([
      ['pruneContainers', { label: ['x'] }],
      ['prune', { label: ['x'] }],
      ['pruneImages', { label: ['x'] }],
    ]);
  });
});
