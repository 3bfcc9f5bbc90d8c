// The parts of the compose stack that need volumes in containers, health checks and
// `rename` (compose recreates a changed service by renaming the old container first): a named
// volume shared by two services, a bind mount, `depends_on: condition: service_healthy`, and an
// `up` after an edit that recreates only the changed service. Debian's docker-compose 1.29,
// unchanged, against netd in a test host namespace; the stack comes up once.
import { describeAsRoot } from '@app/kernel/testing';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api } from '../apps/netd/src/testing/netd-process';
import { COMPOSE, composeOk, composeRunner, requireClient } from './support/compose';
import { type DockerNetd, ok, startDockerNetd } from './support/docker-netd';

const PROJECT = 'vh';

const stack = (appCommand: string) => `version: "2.4"
services:
  db:
    image: busybox
    command: sh -c 'sleep 1; echo stored > /data/ready.txt; exec sleep 86400'
    volumes: ["dbdata:/data"]
    healthcheck:
      test: ["CMD", "test", "-f", "/data/ready.txt"]
      interval: 1s
      timeout: 2s
      retries: 10
  app:
    image: busybox
    command: ${JSON.stringify(appCommand)}
    depends_on:
      db:
        condition: service_healthy
    volumes:
      - dbdata:/data:ro
      - ./conf:/conf:ro
volumes:
  dbdata: {}
`;

const APP = "sh -c 'cat /data/ready.txt /conf/app.conf; exec sleep 86400'";

describeAsRoot('docker-compose 1.29: named and bind volumes, health-gated depends_on, recreate after an edit', () => {
  let t: DockerNetd;
  let dir: string;
  let file: string;
  const compose = (...args: string[]) => composeRunner(() => t.netd.socket, PROJECT, file)(...args);
  const d = (...args: string[]) => t.d(...args);
  const inspect = (name: string) => JSON.parse(ok(d('inspect', name)))[0];

  beforeAll(async () => {
    requireClient(COMPOSE, 'docker-compose');
    dir = mkdtempSync(join(tmpdir(), 'netd-compose-'));
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'app.conf'), 'setting=1\n');
    file = join(dir, 'docker-compose.yml');
    writeFileSync(file, stack(APP));
    t = await startDockerNetd({ bridge: 'netdcvh' });
    composeOk(await compose('up', '-d'));
  });

  afterAll(async () => {
    if (t) await compose('down', '-v', '--timeout', '1').catch(() => undefined);
    await t?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    if (t && expect.getState().assertionCalls !== expect.getState().numPassingAsserts) process.stderr.write(`netd logs:\n${t.netd.logs().slice(-4000)}\n`);
  });

  it('starts app only once db is healthy', () => {
    const db = inspect(`${PROJECT}_db_1`);
    expect(db.State.Health.Status).toBe('healthy');
    const app = inspect(`${PROJECT}_app_1`);
    expect(Date.parse(app.State.StartedAt)).toBeGreaterThan(Date.parse(db.State.StartedAt));
  });

  it('makes the named volume with compose\'s labels, shared by both services, and the bind mount read-only', async () => {
    const vol = (await api(t.netd.socket, 'GET', `/volumes/${PROJECT}_dbdata`)).body;
    expect(vol).toMatchObject({ Name: `${PROJECT}_dbdata`, Driver: 'local', Labels: { 'com.docker.compose.project': PROJECT, 'com.docker.compose.volume': 'dbdata' } });
    expect(composeOk(await compose('logs', '--no-color', 'app'))).toMatch(/app_1\s+\| stored\n.*app_1\s+\| setting=1/s);
    const mounts = inspect(`${PROJECT}_app_1`).Mounts as { Type: string; Destination: string; RW: boolean; Source: string }[];
    expect(mounts.find((m) => m.Destination === '/conf')).toMatchObject({ Type: 'bind', RW: false, Source: join(dir, 'conf') });
    expect(mounts.find((m) => m.Destination === '/data')).toMatchObject({ Type: 'volume', RW: false });
    expect((await compose('exec', '-T', 'app', 'sh', '-c', 'echo x > /conf/new')).code).not.toBe(0);
  });

  it('an `up` after editing one service recreates that service only', async () => {
    const dbId = inspect(`${PROJECT}_db_1`).Id;
    const appId = inspect(`${PROJECT}_app_1`).Id;
    composeOk(await compose('up', '-d'));
    expect([inspect(`${PROJECT}_db_1`).Id, inspect(`${PROJECT}_app_1`).Id]).toEqual([dbId, appId]);
    writeFileSync(file, stack("sh -c 'echo edited; exec sleep 86400'"));
    const up = await compose('up', '-d');
    composeOk(up);
    expect(up.stderr).toMatch(/Recreating vh_app_1/);
    expect(inspect(`${PROJECT}_db_1`).Id).toBe(dbId);
    expect(inspect(`${PROJECT}_app_1`).Id).not.toBe(appId);
    expect(ok(d('ps', '-a', '--format', '{{.Names}}')).trim().split('\n').sort()).toEqual([`${PROJECT}_app_1`, `${PROJECT}_db_1`]);
  });

  it('down -v removes the named volume and leaves the bind-mounted directory alone', async () => {
    composeOk(await compose('down', '-v', '--timeout', '1'));
    expect((await api(t.netd.socket, 'GET', '/volumes')).body.Volumes).toEqual([]);
    expect(ok(d('ps', '-aq'))).toBe('');
    expect(readFileSync(join(dir, 'conf', 'app.conf'), 'utf8')).toBe('setting=1\n');
  });
});
