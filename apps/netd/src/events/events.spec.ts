import { eventMatches } from './events.controller';
import { EventsService } from './events.service';

describe(EventsService.name, () => {
  it('replays history from `since` and delivers live events until unsubscribed', () => {
    let now = 1_000_000_000n;
    const events = new EventsService(() => (now += 1_000_000_000n));
    events.publish('create', 'a', { name: 'a' });
    events.publish('destroy', 'a', { name: 'a' });
    const live: string[] = [];
    const sub = events.subscribe(3_000_000_000n, (e) => live.push(e.Action));
    expect(sub.past.map((e) => e.Action)).toEqual(['destroy']);
    events.publish('connect', 'b', {});
    sub.unsubscribe();
    events.publish('disconnect', 'b', {});
    expect(live).toEqual(['connect']);
    expect(sub.past[0]).toMatchObject({ Type: 'network', scope: 'local', time: 3, timeNano: 3_000_000_000, Actor: { ID: 'a', Attributes: { name: 'a' } } });
  });

  it('keeps a bounded history', () => {
    const events = new EventsService();
    for (let i = 0; i < 300; i++) events.publish('create', String(i), {});
    expect(events.subscribe(0n, () => undefined).past).toHaveLength(256);
  });
});

describe(eventMatches.name, () => {
  const e = new EventsService().publish('start', 'c'.repeat(64), { name: 'web', image: 'busybox', tier: 'front' }, 'container');
  it.each([
    [{}, true],
    [{ type: ['container'] }, true],
    [{ type: ['network', 'container'], event: ['start'] }, true],
    [{ event: ['die'] }, false],
    [{ container: ['web'] }, true],
    [{ container: ['ccc'] }, true],
    [{ network: ['web'] }, false],
    [{ label: ['tier'] }, true],
    [{ label: ['tier=front'] }, true],
    [{ label: ['tier=back'] }, false],
    [{ label: ['tier=front', 'other'] }, false],
  ])('%j → %s', (filters, expected) => {
    expect(eventMatches(e, filters as Record<string, string[]>)).toBe(expected);
  });
});
