import { createLogger, setLogLevel } from './logger';

describe('createLogger / setLogLevel', () => {
  it('changes the level of the root and of children made before and after', () => {
    const root = createLogger('info', { pretty: false });
    const child = root.child({ component: 'a' });
    const grandchild = child.child({ sub: 1 });
    expect(grandchild.isLevelEnabled('debug')).toBe(false);
    setLogLevel(root, 'debug');
    expect([root.level, child.level, grandchild.level]).toEqual(['debug', 'debug', 'debug']);
    expect(root.child({ later: true }).level).toBe('debug');
    setLogLevel(root, 'error');
    expect(grandchild.isLevelEnabled('warn')).toBe(false);
  });

  it('makes a pretty logger on request', () => {
    const log = createLogger('warn', { pretty: true });
    expect(log.level).toBe('warn');
  });
});
