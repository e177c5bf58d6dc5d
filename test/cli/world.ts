// A CLI test's world: the Salesforce emulator and the networks on by default (Bluesky, GitHub, Mastodon, plus any the
// test adds), a temporary SQLite store, and the CLI run as a child process against them. Asynchronous on purpose:
// the emulators answer from this process while the CLI runs.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startBlueskySandbox } from '../../src/sandbox/networks/bluesky.ts';
import { startGitHubSandbox } from '../../src/sandbox/networks/github.ts';
import { startMastodonSandbox } from '../../src/sandbox/networks/mastodon.ts';
import type { NetworkServer } from '../../src/sandbox/networks/server.ts';
import type { Population } from '../../src/sandbox/population.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/crm-influence.js');

type Server = NetworkServer & { env: Record<string, string> };

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliWorld {
  dir: string;
  salesforce: SalesforceSandbox;
  env: Record<string, string>;
  cli(args: string[]): Promise<CliResult>;
  close(): Promise<void>;
}

export async function startCliWorld(
  name: string,
  population: Population,
  options: { timeoutMs: number; more?: readonly Server[] },
): Promise<CliWorld> {
  const dir = mkdtempSync(path.join(tmpdir(), `crm-influence-${name}-`));
  const salesforce = await startSalesforceSandbox({ population });
  // Every network enabled by default points at its emulator: nothing may reach the internet.
  const networks: Server[] = [
    ...(await Promise.all([
      startBlueskySandbox({ population }),
      startGitHubSandbox({ population }),
      startMastodonSandbox({ population }),
    ])),
    ...(options.more ?? []),
  ];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...salesforce.env,
    ...(Object.assign({}, ...networks.map((n) => n.env)) as Record<string, string>),
    CRM_INFLUENCE_DB: path.join(dir, 'cli.db'),
    CRM_INFLUENCE_SECRET_KEY: randomBytes(32).toString('hex'),
    CRM_INFLUENCE_LOG_LEVEL: 'silent',
  };
  return {
    dir,
    salesforce,
    env,
    cli: (args) =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          [BIN, ...args],
          { env, encoding: 'utf8', timeout: options.timeoutMs },
          (error, stdout, stderr) =>
            resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
        );
      }),
    close: async () => {
      await Promise.all([salesforce.close(), ...networks.map((n) => n.close())]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
