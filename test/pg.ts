// The real PostgreSQL the tests use (127.0.0.1, trust auth, database `test`), and one statement run on it (schemas
// made and dropped per test, so parallel runs do not meet).
import pg from 'pg';

export const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
