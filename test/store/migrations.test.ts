import { expect } from 'chai';

import { checkMigrationOrder, MIGRATIONS, migrationSql } from '../../src/store/migrations.ts';

describe('store migrations list', () => {
  it('is numbered 1, 2, 3… in order', () => {
    expect(() => checkMigrationOrder()).to.not.throw();
    expect(MIGRATIONS[0]?.version).to.equal(1);
  });

  it('catches a gap or a reorder, naming the migration', () => {
    const gap = [...MIGRATIONS, { version: MIGRATIONS.length + 2, name: 'admin users', sql: 'SELECT 1' }];
    expect(() => checkMigrationOrder(gap)).to.throw(/migration 'admin users' has version .*; expected/);
  });

  it('picks the dialect-specific SQL when a migration has two', () => {
    const both = { version: 2, name: 'ids', sql: { sqlite: 'A', postgres: 'B' } };
    expect(migrationSql(both, 'sqlite')).to.equal('A');
    expect(migrationSql(both, 'postgres')).to.equal('B');
  });
});
