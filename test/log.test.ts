import { Writable } from 'node:stream';

import { expect } from 'chai';

import { CENSOR, createLogger, redact } from '../src/log.ts';

function capture(pretty = false) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  // pino writes synchronously to a plain Writable; pino-pretty pipes through.
  const logger = createLogger({ level: 'debug', pretty, destination });
  return { logger, output: () => lines.join('') };
}

const SECRET = 'sk-live-TOPSECRET-1234567890';

describe('log', () => {
  it('writes JSON lines with the level and message', () => {
    const { logger, output } = capture();
    logger.info({ connection: 'sf1', records: 3 }, 'page written');
    const line = JSON.parse(output().trim()) as Record<string, unknown>;
    expect(line).to.include({ level: 30, msg: 'page written', connection: 'sf1', records: 3 });
  });

  it('censors secret-bearing keys at any usual depth', () => {
    const { logger, output } = capture();
    logger.info(
      {
        accessToken: SECRET,
        connection: { id: 'sf1', credentials: { refreshToken: SECRET }, clientSecret: SECRET },
        request: { headers: { authorization: `Bearer ${SECRET}` } },
        user: { password: SECRET },
        nested: { deeper: { apiKey: SECRET } },
      },
      'connecting',
    );
    const text = output();
    expect(text).to.not.include(SECRET);
    expect(text).to.include(CENSOR);
    const line = JSON.parse(text.trim()) as { connection: { id: string; credentials: unknown } };
    expect(line.connection.id).to.equal('sf1', 'ordinary fields survive');
    expect(line.connection.credentials).to.equal(CENSOR);
  });

  it('scrubs secrets from messages and errors', () => {
    const { logger, output } = capture();
    logger.warn(`GET https://www.googleapis.com/youtube/v3/channels?part=statistics&key=${SECRET} failed`);
    logger.error(
      { err: new Error(`token refresh failed: {"access_token":"${SECRET}","instance_url":"https://x"}`) },
      'refresh failed',
    );
    logger.error(new Error(`401 with Authorization: Bearer ${SECRET}`));
    const text = output();
    expect(text).to.not.include(SECRET);
    expect(text).to.include('part=statistics');
    expect(text).to.include('instance_url');
  });

  it('keeps secrets out of pretty output too', async () => {
    const { logger, output } = capture(true);
    logger.info({ refreshToken: SECRET }, `using Bearer ${SECRET}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(output()).to.include('using Bearer');
    expect(output()).to.not.include(SECRET);
  });

  it('respects the level', () => {
    const { output } = capture();
    const quiet = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, done) => done() }) });
    expect(quiet.isLevelEnabled('info')).to.equal(false);
    expect(output()).to.equal('');
  });

  describe('redact(text)', () => {
    const cases: [string, string][] = [
      ['Authorization: Bearer abc.def-ghi_123', `Authorization: Bearer ${CENSOR}`],
      ['basic Zm9vOmJhcg==', `basic ${CENSOR}`],
      [
        'grant_type=refresh_token&refresh_token=5Aep861abc&client_secret=xyz',
        `grant_type=refresh_token&refresh_token=${CENSOR}&client_secret=${CENSOR}`,
      ],
      ['https://x/cb?code=1&access_token=abc#frag', `https://x/cb?code=1&access_token=${CENSOR}#frag`],
      ['{"access_token": "abc", "scope": "api"}', `{"access_token": "${CENSOR}", "scope": "api"}`],
      ['postgres://app:hunter2@db:5432/crm', `postgres://app:${CENSOR}@db:5432/crm`],
      ['session 00D5g000004ABCD!AQcAQH0dMHZfz972Szmpkb58urFRkgeBGsxL expired', `session ${CENSOR} expired`],
      ['token pat-na1-11111111-2222-3333-4444-555555555555 rejected', `token ${CENSOR} rejected`],
      ['ghp_abcdefghijklmnopqrstuvwxyz0123456789 is bad', `${CENSOR} is bad`],
      ['UNABLE_TO_LOCK_ROW on 003xx: code=UNABLE_TO_LOCK_ROW', 'UNABLE_TO_LOCK_ROW on 003xx: code=UNABLE_TO_LOCK_ROW'],
      ['score 42 for ada.bsky.social', 'score 42 for ada.bsky.social'],
    ];
    for (const [input, expected] of cases) {
      it(`"${input.slice(0, 40)}"`, () => {
        expect(redact(input)).to.equal(expected);
      });
    }
  });
});
