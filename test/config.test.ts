import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { expect } from 'chai';

import {
  ConfigError,
  configTable,
  configTableMarkdown,
  loadConfig,
  requireVariables,
  type VariableName,
  VARIABLES,
} from '../src/config.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  expect.fail(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('config', () => {
  it('loads an empty environment with every documented default', () => {
    const config = loadConfig({});
    expect(config.SALESFORCE_LOGIN_URL).to.equal('https://login.salesforce.com');
    expect(config.SALESFORCE_API_VERSION).to.equal('64.0');
    expect(config.HUBSPOT_BASE_URL).to.equal('https://api.hubapi.com');
    expect(config.X_ENABLED).to.equal(false);
    expect(config.X_API_BASE_URL).to.equal('https://api.x.com');
    expect(config.GITHUB_API_BASE_URL).to.equal('https://api.github.com');
    expect(config.BLUESKY_API_BASE_URL).to.equal('https://public.api.bsky.app');
    expect(config.YOUTUBE_API_BASE_URL).to.equal('https://www.googleapis.com/youtube/v3');
    expect(config.GRAVATAR_API_BASE_URL).to.equal('https://api.gravatar.com/v3');
    expect(config.CRM_INFLUENCE_DB).to.equal('./data/crm-influence.db');
    expect(config.CRM_INFLUENCE_SCHEDULE).to.equal('0 3 * * *');
    expect(config.CRM_INFLUENCE_BUDGET_FLOOR).to.equal(0.2);
    expect(config.CRM_INFLUENCE_REFRESH_DAYS).to.equal(7);
    expect(config.CRM_INFLUENCE_HISTORY_MONTHS).to.equal(24);
    expect(config.PORT).to.equal(3000);
    expect(config.DATABASE_URL).to.equal(undefined);
    expect(config.CRM_INFLUENCE_SECRET_KEY).to.equal(undefined);
  });

  it('parses typed values and strips trailing slashes from base URLs', () => {
    const hex = randomBytes(32).toString('hex');
    const config = loadConfig({
      SALESFORCE_INSTANCE_URL: 'https://acme.my.salesforce.com/',
      HUBSPOT_BASE_URL: 'http://127.0.0.1:4010/',
      X_ENABLED: 'true',
      X_BEARER_TOKEN: 'x-token',
      CRM_INFLUENCE_SECRET_KEY: hex,
      PORT: '0',
      CRM_INFLUENCE_BUDGET_FLOOR: '0.35',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
    });
    expect(config.SALESFORCE_INSTANCE_URL).to.equal('https://acme.my.salesforce.com');
    expect(config.HUBSPOT_BASE_URL).to.equal('http://127.0.0.1:4010');
    expect(config.X_ENABLED).to.equal(true);
    expect(config.CRM_INFLUENCE_SECRET_KEY?.toString('hex')).to.equal(hex);
    expect(config.PORT).to.equal(0);
    expect(config.CRM_INFLUENCE_BUDGET_FLOOR).to.equal(0.35);
  });

  it('accepts the secret key as base64 too', () => {
    const key = randomBytes(32);
    expect(
      loadConfig({ CRM_INFLUENCE_SECRET_KEY: key.toString('base64') }).CRM_INFLUENCE_SECRET_KEY?.equals(key),
    ).to.equal(true);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', SALESFORCE_INSTANCE_URL: '  ' }).PORT).to.equal(3000);
  });

  const invalid: [VariableName, string, RegExp][] = [
    [
      'SALESFORCE_INSTANCE_URL',
      'foo',
      /must be an https URL like https:\/\/yourorg\.my\.salesforce\.com.*\(got 'foo'\)/,
    ],
    ['SALESFORCE_INSTANCE_URL', 'http://acme.my.salesforce.com', /https URL/],
    ['SALESFORCE_LOGIN_URL', 'login.salesforce.com', /https URL/],
    ['SALESFORCE_API_VERSION', '64', /API version like 64\.0/],
    ['HUBSPOT_BASE_URL', 'ftp://x', /https URL/],
    ['X_ENABLED', 'maybe', /'true' or 'false'/],
    ['X_API_BASE_URL', 'nope', /https URL/],
    ['GITHUB_API_BASE_URL', 'nope', /https URL/],
    ['MASTODON_API_BASE_URL', 'nope', /https URL/],
    ['BLUESKY_API_BASE_URL', 'nope', /https URL/],
    ['YOUTUBE_API_BASE_URL', 'nope', /https URL/],
    ['GRAVATAR_API_BASE_URL', 'nope', /https URL/],
    ['DATABASE_URL', 'mysql://x', /PostgreSQL URL/],
    ['CRM_INFLUENCE_SECRET_KEY', 'short', /64 hex characters or base64; generate one with: node -e/],
    ['CRM_INFLUENCE_SCHEDULE', 'every day', /cron expression/],
    ['CRM_INFLUENCE_LOG_LEVEL', 'loud', /one of fatal, error/],
    ['CRM_INFLUENCE_BUDGET_FLOOR', '1.5', /fraction between 0 and 1/],
    ['CRM_INFLUENCE_REFRESH_DAYS', '0', /whole number of days/],
    ['CRM_INFLUENCE_HISTORY_MONTHS', 'two', /whole number of months/],
    ['CRM_INFLUENCE_ADMIN_PASSWORD', 'short', /at least 12 characters/],
    ['PORT', '70000', /port number/],
    ['CRM_INFLUENCE_X_MONTHLY_CAP_USD', '$50', /number of US dollars like 50/],
    ['CRM_INFLUENCE_X_MONTHLY_CAP_USD', '0', /more than 0 \(leave it unset for no cap\)/],
  ];
  for (const [name, value, pattern] of invalid) {
    it(`names ${name} when it is '${value}'`, () => {
      const problems = problemsOf({ [name]: value });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.match(new RegExp(`^${name}: `));
      expect(problems[0]).to.match(pattern);
    });
  }

  it('lists every bad variable in one error, including missing companions', () => {
    const problems = problemsOf({
      SALESFORCE_INSTANCE_URL: 'foo',
      PORT: 'x',
      X_ENABLED: 'true',
      SALESFORCE_REFRESH_TOKEN: 'rt',
    });
    const names = problems.map((p) => p.split(':')[0]);
    expect(names).to.have.members(['SALESFORCE_INSTANCE_URL', 'PORT', 'X_BEARER_TOKEN', 'SALESFORCE_CLIENT_ID']);
  });

  it('requires the org URL with an access token', () => {
    const problems = problemsOf({ SALESFORCE_ACCESS_TOKEN: 'tok' });
    expect(problems[0]).to.match(/^SALESFORCE_INSTANCE_URL: is required with SALESFORCE_ACCESS_TOKEN/);
  });

  it('never echoes secret values', () => {
    const secretValue = 'zz-super-secret-value-zz';
    let message = '';
    try {
      loadConfig({
        CRM_INFLUENCE_SECRET_KEY: secretValue,
        DATABASE_URL: `mysql://u:${secretValue}@h/db`,
        CRM_INFLUENCE_ADMIN_PASSWORD: 'zz',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.include('CRM_INFLUENCE_SECRET_KEY');
    expect(message).to.include('DATABASE_URL');
    expect(message).to.include('CRM_INFLUENCE_ADMIN_PASSWORD');
    expect(message).to.not.include(secretValue);
    expect(message).to.not.include("'zz'");
    expect(message).to.include('(value hidden)');
  });

  it('requireVariables names each missing variable and what it is', () => {
    const config = loadConfig({});
    expect(() =>
      requireVariables(config, 'to store credentials', ['CRM_INFLUENCE_SECRET_KEY', 'SALESFORCE_INSTANCE_URL']),
    )
      .to.throw(ConfigError)
      .with.property('problems')
      .that.satisfies(
        (problems: string[]) =>
          problems.length === 2 &&
          /^CRM_INFLUENCE_SECRET_KEY: is required to store credentials .*randomBytes\(32\)/.test(problems[0] ?? '') &&
          /^SALESFORCE_INSTANCE_URL: is required to store credentials .*my\.salesforce\.com/.test(problems[1] ?? ''),
      );
    expect(() => requireVariables(config, 'x', ['PORT'])).to.not.throw();
  });

  it('documents every variable in the README, exactly as generated', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const name of Object.keys(VARIABLES)) expect(readme, name).to.include(`\`${name}\``);
    const section = /<!-- config-table:start[^>]*-->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme);
    expect(section, 'README config-table markers').to.not.equal(null);
    expect(section?.[1]).to.equal(
      configTableMarkdown(),
      'README table is stale: regenerate it from configTableMarkdown()',
    );
    expect(configTable().map((row) => row.name)).to.deep.equal(Object.keys(VARIABLES));
  });
});
