#!/usr/bin/env node
// Records what a build was made from in dist/build-info.json: the package version and the git
// commit (a tarball made by `npm pack` has no .git, so the installed daemon and netctl read the
// commit from here). `-dirty` marks a build of a tree with uncommitted changes to tracked files.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8', timeout: 10_000 });
const head = git('rev-parse', '--short=12', 'HEAD');
let commit = head.status === 0 ? head.stdout.trim() : 'unknown';
if (head.status === 0 && git('diff', '--quiet', 'HEAD', '--').status === 1) commit += '-dirty';
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', 'build-info.json'), `${JSON.stringify({ version, commit, built: new Date().toISOString() }, null, 2)}\n`);
