import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { authKey, configPath, readConfig, writeConfig } from './auth-config';
import { DOCKER_INDEX_SERVER } from './reference';

/**
 * docker login: credentials from flags, --password-stdin or prompts; checked by the daemon
 * (`POST /auth`), then saved base64-encoded under `auths` in config.json.
 */
export const loginHandler: Handler<{ username?: string; password?: string; passwordStdin?: boolean }> = async ({ args, opts }, ctx) => {
  const { client, output, messages, stdio, readLine } = ctx;
  const server = authKey(args[0] ?? DOCKER_INDEX_SERVER);
  let { username, password } = opts;
  if (password !== undefined && opts.passwordStdin) throw new UsageError(messages.images.passwordConflict);
  if (opts.passwordStdin) {
    if (!username) throw new UsageError(messages.images.passwordStdinNeedsUser);
    let text = '';
    for await (const c of stdio.stdin) text += Buffer.from(c).toString('utf8');
    password = text.replace(/\r?\n$/, '');
  } else if (password !== undefined) output.error(messages.images.passwordInsecure);
  if (!username || password === undefined) {
    if (!stdio.stdinIsTty) throw new UsageError(messages.images.nonTtyLogin);
    if (!username) {
      output.write('Username: ');
      username = (await readLine()).trim();
    }
    if (password === undefined) {
      output.write('Password: ');
      password = await readLine();
    }
  }
  await client.checkAuth({ username, password, serveraddress: server });
  const path = configPath(ctx);
  const config = readConfig(path);
  config.auths = { ...config.auths, [server]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } };
  writeConfig(path, config);
  output.line(messages.images.loginSucceeded);
};

/** docker logout: drops the saved entry; says so when there was none. */
export const logoutHandler: Handler<Record<string, never>> = async ({ args }, ctx) => {
  const server = authKey(args[0] ?? DOCKER_INDEX_SERVER);
  const path = configPath(ctx);
  const config = readConfig(path);
  if (!config.auths?.[server]) {
    ctx.output.line(ctx.messages.images.notLoggedIn(server));
    return;
  }
  ctx.output.line(ctx.messages.images.removingLogin(server));
  delete config.auths[server];
  writeConfig(path, config);
};
